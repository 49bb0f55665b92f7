// The worker as the LMS drives it, against a live mockprock server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { closedUrl, lmsMessage, Mockprock, startMockprock } from './harness.js';

const PING_TIMEOUT_MS = 50_000; // what the LMS gives a ping: (60 s interval - 10 s buffer)
// The LMS's origin, and the learning MFE's on devstack (its worker runs from there).
const LMS_ORIGIN = 'http://localhost:18000';
const MFE_ORIGIN = 'http://localhost:2000';

let server;
let mockprock;
let send;

before(async () => {
  // A long upload: the end of an exam must still be answered at once.
  server = await startMockprock('--upload-delay', '600', '--lms-url', LMS_ORIGIN);
  mockprock = new Mockprock(server.url);
  send = (type, fields = {}, origin = LMS_ORIGIN) => lmsMessage(
    { type, ...fields },
    { baseUrl: server.url, origin },
  );
});

after(async () => {
  await server?.stop();
});

test('a whole proctored exam: start, heartbeats, end', async () => {
  const attemptExternalId = await mockprock.registerAttempt();
  assert.deepEqual(
    await send('startExamAttempt', { timeout: 60_000, attemptExternalId }),
    { type: 'examAttemptStarted' },
  );
  for (let i = 0; i < 3; i += 1) {
    assert.deepEqual(
      await send('ping', { timeout: PING_TIMEOUT_MS, attemptExternalId }),
      { type: 'echo' },
    );
  }
  assert.deepEqual(await send('endExamAttempt', { attemptExternalId }), { type: 'examAttemptEnded' });

  const app = await mockprock.desktop(attemptExternalId);
  assert.equal(app.status, 'uploading');
  assert.equal(app.heartbeats.length, 3);
  assert.ok(app.heartbeats.every((beat) => beat.ok));
});

test('a ping to a crashed app fails, and so does ending the exam', async () => {
  const attemptExternalId = await mockprock.registerAttempt();
  assert.equal((await send('startExamAttempt', { timeout: 60_000, attemptExternalId })).type, 'examAttemptStarted');
  assert.equal((await send('ping', { timeout: PING_TIMEOUT_MS, attemptExternalId })).type, 'echo');

  await mockprock.setDesktop(attemptExternalId, { state: 'crashed' });
  const reply = await send('ping', { timeout: PING_TIMEOUT_MS, attemptExternalId });
  assert.equal(reply.type, 'pingFailed');
  assert.equal(reply.error.appStatus, 'crashed');
  assert.equal(reply.error.httpStatus, 503);
  assert.match(reply.error.message, /crashed/);
  assert.equal((await send('endExamAttempt', { attemptExternalId })).type, 'examAttemptEndFailed');

  const app = await mockprock.desktop(attemptExternalId);
  assert.deepEqual(app.heartbeats.map((beat) => beat.ok), [true, false]);
  assert.equal(app.crashes.length, 1);
});

test('each message acts on the attempt the LMS names', async () => {
  const first = await mockprock.registerAttempt();
  const second = await mockprock.registerAttempt();
  for (const attemptExternalId of [first, second]) {
    assert.equal((await send('startExamAttempt', { timeout: 60_000, attemptExternalId })).type, 'examAttemptStarted');
  }
  // The first attempt is neither the last registered nor the last started.
  await mockprock.setDesktop(first, { state: 'crashed' });
  assert.equal((await send('ping', { timeout: PING_TIMEOUT_MS, attemptExternalId: first })).type, 'pingFailed');
  assert.equal((await send('ping', { timeout: PING_TIMEOUT_MS, attemptExternalId: second })).type, 'echo');
  assert.equal((await send('endExamAttempt', { attemptExternalId: second })).type, 'examAttemptEnded');
  assert.equal((await mockprock.desktop(second)).status, 'uploading');
  assert.equal((await mockprock.desktop(first)).status, 'crashed');
});

test('an app that is not installed cannot start', async () => {
  const attemptExternalId = await mockprock.registerAttempt();
  await mockprock.setDesktop(attemptExternalId, { state: 'not_installed' });
  const reply = await send('startExamAttempt', { timeout: 60_000, attemptExternalId });
  assert.equal(reply.type, 'examAttemptStartFailed');
  assert.equal(reply.error.appStatus, 'not_installed');
});

test('a slow app fails a ping past the timeout and passes one within it', async () => {
  const attemptExternalId = await mockprock.registerAttempt();
  await send('startExamAttempt', { timeout: 60_000, attemptExternalId });
  await mockprock.setDesktop(attemptExternalId, { state: 'running', latency_ms: 400 });

  const late = await send('ping', { timeout: 50, attemptExternalId });
  assert.equal(late.type, 'pingFailed');
  assert.equal(late.error.reason, 'timeout');
  assert.match(late.error.message, /within 50 ms/);

  assert.deepEqual(await send('ping', { timeout: 20_000, attemptExternalId }), { type: 'echo' });
});

test('the learning MFE names the attempt from its own origin, not the LMS\'s', async () => {
  const attemptExternalId = await mockprock.registerAttempt();
  const fromMfe = (type, fields) => send(type, { attemptExternalId, ...fields }, MFE_ORIGIN);
  assert.deepEqual(await fromMfe('startExamAttempt', { timeout: 60_000 }), { type: 'examAttemptStarted' });
  assert.deepEqual(await fromMfe('ping', { timeout: PING_TIMEOUT_MS }), { type: 'echo' });
  assert.deepEqual(await fromMfe('endExamAttempt', {}), { type: 'examAttemptEnded' });
  const app = await mockprock.desktop(attemptExternalId);
  assert.equal(app.status, 'uploading');
  assert.equal(app.heartbeats.length, 1);
});

test('without an attempt id a page of another origin cannot drive the app', async () => {
  const latest = await mockprock.registerAttempt();
  for (const origin of [MFE_ORIGIN, 'https://evil.example']) {
    const reply = await send('startExamAttempt', { timeout: 60_000 }, origin);
    assert.equal(reply.type, 'examAttemptStartFailed');
    assert.equal(reply.error.httpStatus, 403);
    assert.match(reply.error.message, /--allow-origin/);
    assert.ok(!JSON.stringify(reply).includes(latest));
  }
  assert.equal((await mockprock.desktop(latest)).status, 'not_started');
});

test('without an attempt id the worker acts on the attempt a single app would', async () => {
  await mockprock.registerAttempt();
  const latest = await mockprock.registerAttempt();
  // The LMS's legacy page passes no attemptExternalId.
  assert.equal((await send('startExamAttempt', { timeout: 60_000 })).type, 'examAttemptStarted');
  assert.equal((await send('ping', { timeout: PING_TIMEOUT_MS })).type, 'echo');
  assert.equal((await mockprock.desktop(latest)).heartbeats.length, 1);
  assert.equal((await send('endExamAttempt', {})).type, 'examAttemptEnded');
  assert.equal((await mockprock.desktop(latest)).status, 'uploading');
});

test('a ping before the app was started fails', async () => {
  const attemptExternalId = await mockprock.registerAttempt();
  const reply = await send('ping', { timeout: PING_TIMEOUT_MS, attemptExternalId });
  assert.equal(reply.type, 'pingFailed');
  assert.equal(reply.error.appStatus, 'not_started');
  assert.equal(reply.error.httpStatus, 409);
});

test('an unknown attempt is refused', async () => {
  const reply = await send('startExamAttempt', { timeout: 60_000, attemptExternalId: 'no-such-attempt' });
  assert.equal(reply.type, 'examAttemptStartFailed');
  assert.equal(reply.error.httpStatus, 404);
});

test('an unreachable app fails the ping', async () => {
  const baseUrl = await closedUrl();
  const reply = await lmsMessage({ type: 'ping', timeout: PING_TIMEOUT_MS }, { baseUrl });
  assert.equal(reply.type, 'pingFailed');
  assert.equal(reply.error.reason, 'unreachable');
  assert.ok(reply.error.message.includes(baseUrl));
});

test('new attempts follow the desktop_default setting', async () => {
  await mockprock.control('PATCH', '/settings', { desktop_default: 'crashed' });
  try {
    const attemptExternalId = await mockprock.registerAttempt();
    // A crashed app launches, then dies: the start passes and the first ping fails.
    assert.equal((await send('startExamAttempt', { timeout: 60_000, attemptExternalId })).type, 'examAttemptStarted');
    assert.equal((await send('ping', { timeout: PING_TIMEOUT_MS, attemptExternalId })).type, 'pingFailed');
  } finally {
    await mockprock.control('PATCH', '/settings', { desktop_default: 'running' });
  }
});
