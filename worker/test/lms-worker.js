// Runs in a node worker thread as the browser runs the bundled worker in a Web Worker:
// `self` receives the LMS's messages and posts the replies.
import { register } from 'node:module';
import { parentPort } from 'node:worker_threads';

register('./esm-hooks.js', import.meta.url);

globalThis.self = globalThis;
globalThis.addEventListener = (type, listener) => {
  if (type === 'message') {
    parentPort.on('message', (data) => listener({ data }));
  }
};
globalThis.postMessage = (data) => parentPort.postMessage(data);

await import('../index.js');
parentPort.postMessage({ type: '__loaded' });
