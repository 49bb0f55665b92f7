// Every page: times in the reader's own time zone. Pages with [data-refresh] sections
// (the console, the dashboard's attempt view) fetch themselves every few seconds and
// swap in those sections, unless the reader is typing or has a section's details open
// that the new copy would close. No inline script: the CSP forbids it.
'use strict';

const REFRESH_MS = 3000;

function localTimes(root) {
  for (const el of root.querySelectorAll('time[data-local]')) {
    const when = new Date(el.getAttribute('datetime'));
    if (!Number.isNaN(when.getTime())) {
      el.textContent = when.toLocaleString();
      el.title = el.getAttribute('datetime');
    }
  }
}

function busy(section) {
  const active = document.activeElement;
  return active && active !== document.body && section.contains(active)
    && ['INPUT', 'SELECT', 'TEXTAREA'].includes(active.tagName);
}

async function refresh() {
  const sections = document.querySelectorAll('[data-refresh][id]');
  if (!sections.length || document.hidden) return;
  let text;
  try {
    const response = await fetch(window.location.href, { credentials: 'same-origin' });
    if (!response.ok) return;
    text = await response.text();
  } catch (error) {
    return; // the server is away; try again later
  }
  const fresh = new DOMParser().parseFromString(text, 'text/html');
  for (const section of sections) {
    const replacement = fresh.getElementById(section.id);
    if (!replacement || busy(section)) continue;
    // Keep open what the reader opened.
    for (const open of section.querySelectorAll('details[open][id]')) {
      const twin = replacement.querySelector(`#${CSS.escape(open.id)}`);
      if (twin) twin.open = true;
    }
    localTimes(replacement);
    section.replaceWith(document.adoptNode(replacement));
  }
}

document.addEventListener('DOMContentLoaded', () => {
  localTimes(document);
  if (document.querySelector('[data-refresh]')) {
    setInterval(refresh, REFRESH_MS);
  }
});
