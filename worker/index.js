/**
 * The browser worker of mockprock: the script the LMS runs in a Web Worker to talk to
 * the proctoring "desktop application" that the mockprock server emulates.
 *
 * The LMS bundles this module (the backend's `npm_module`, `@edx/mockprock`) and posts
 * it `startExamAttempt`, `ping` and `endExamAttempt` messages; `handlerWrapper` from
 * `@edx/edx-proctoring` turns each into a call on the handler below and posts the
 * reply (`examAttemptStarted`, `echo`, `examAttemptEnded` or their failures). A `config`
 * message `{options: {baseUrl}}` points the handler at another server; without one (the
 * LMS sends none) it calls the address baked in at build time (`worker/configure.js`).
 */
import { handlerWrapper } from '@edx/edx-proctoring';

import { DESKTOP_URL } from './desktop-url.js';

export const DEFAULT_BASE_URL = DESKTOP_URL;

/**
 * A failure the LMS can show. A plain object, not an Error: it crosses postMessage
 * unchanged in every browser.
 */
const failure = (message, details = {}) => ({ message, ...details });

/**
 * Call the application and check the status it answers.
 *
 * `timeout` is in milliseconds, as the LMS passes it; none (or 0) waits as long as
 * the browser does. `attemptExternalId` names the attempt; without it the server acts
 * on the attempt a single desktop application would.
 */
async function callApp(baseUrl, path, { method, expected, timeout, attemptExternalId }) {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}${path}`);
  if (attemptExternalId) {
    url.searchParams.set('attempt', attemptExternalId);
  }
  const controller = new AbortController();
  const timer = timeout > 0 ? setTimeout(() => controller.abort(), timeout) : null;
  let response;
  let body;
  try {
    // No body and no custom header: a simple CORS request, no preflight needed.
    response = await fetch(url, { method, signal: controller.signal });
    body = await response.json().catch(() => ({}));
  } catch (error) {
    if (controller.signal.aborted) {
      throw failure(`the MockProck application did not answer within ${timeout} ms`, {
        reason: 'timeout',
      });
    }
    throw failure(`the MockProck application could not be reached at ${baseUrl}: ${error.message}`, {
      reason: 'unreachable',
    });
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok || !expected.includes(body.status)) {
    const said = body.status ? `is ${body.status}` : `answered HTTP ${response.status}`;
    throw failure(body.detail || `the MockProck application ${said}`, {
      reason: 'refused',
      httpStatus: response.status,
      appStatus: body.status,
    });
  }
  return body;
}

export class MockProckHandler {
  constructor(options) {
    this.baseUrl = (options && options.baseUrl) || DEFAULT_BASE_URL;
  }

  async onStartExamAttempt(timeout, attemptExternalId) {
    await callApp(this.baseUrl, '/desktop/start', {
      method: 'POST', expected: ['running'], timeout, attemptExternalId,
    });
  }

  async onEndExamAttempt(attemptExternalId) {
    // The LMS may end twice (page reload); an upload already done is an end too.
    await callApp(this.baseUrl, '/desktop/stop', {
      method: 'POST', expected: ['uploading', 'uploaded'], attemptExternalId,
    });
  }

  async onPing(timeout, attemptExternalId) {
    await callApp(this.baseUrl, '/desktop/ping', {
      method: 'GET', expected: ['running'], timeout, attemptExternalId,
    });
  }
}

handlerWrapper(MockProckHandler);

export default MockProckHandler;
