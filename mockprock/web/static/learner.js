// The learner page: poll the attempt's state (GET /download/status, JSON) and show it.
// The page says everything without this script; it only keeps it current.
'use strict';

const POLL_MS = 1500;

function show(state) {
  const ready = document.getElementById('ready');
  ready.className = `state state-${state.ready.state}`;
  document.getElementById('ready-title').textContent = state.ready.title;
  document.getElementById('ready-say').textContent = state.ready.say;
  const detail = document.getElementById('ready-detail');
  detail.textContent = state.ready.detail || '';
  detail.hidden = !state.ready.detail;
  document.getElementById('attempt-status').textContent = state.attempt_status;
  // The exam's return link is offered once the system check passes.
  const back = document.getElementById('exam-return');
  if (back && state.exam_return) back.hidden = !state.exam_return.shown;
  for (const check of state.checks) {
    const item = document.querySelector(`[data-check="${CSS.escape(check.key)}"]`);
    if (item) {
      item.className = check.passed ? 'pass' : 'fail';
      item.querySelector('span').textContent = check.said;
    }
  }
}

async function poll(url) {
  try {
    const response = await fetch(url, { credentials: 'same-origin' });
    if (response.ok) show(await response.json());
  } catch (error) {
    // the server is away; the next poll tries again
  }
}

document.addEventListener('DOMContentLoaded', () => {
  const page = document.getElementById('learner');
  if (!page) return;
  const url = page.dataset.statusUrl;
  setInterval(() => poll(url), POLL_MS);
});
