// Runs in a node worker thread as the browser runs the bundled worker in a Web Worker:
// `self` receives the LMS's messages and posts the replies. A browser sends the page's
// origin with every cross-origin fetch; `workerData.origin` is that page's origin.
import { register } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

register('./esm-hooks.js', import.meta.url);

globalThis.self = globalThis;
globalThis.addEventListener = (type, listener) => {
  if (type === 'message') {
    parentPort.on('message', (data) => listener({ data }));
  }
};
globalThis.postMessage = (data) => parentPort.postMessage(data);

const origin = workerData?.origin;
if (origin) {
  const browserFetch = globalThis.fetch;
  globalThis.fetch = (url, init = {}) => browserFetch(url, {
    ...init,
    headers: { ...(init.headers || {}), Origin: origin },
  });
}

// The repository's worker, or another copy of it (a configured build) when named.
await import(workerData?.module ?? '../index.js');
parentPort.postMessage({ type: '__loaded' });
