// The desktop address baked in at build time (worker/configure.js), as the LMS meets it:
// no `config` message, so the worker calls whatever the build set, or the default.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { DESKTOP_URL } from '../desktop-url.js';
import { lmsMessage, Mockprock, startMockprock } from './harness.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

let server;
let mockprock;
const builds = [];

/** A copy of the npm package as an LMS build gets it, configured with `env`. */
function configuredBuild(env) {
  const dir = mkdtempSync(path.join(tmpdir(), 'mockprock-build-'));
  builds.push(dir);
  cpSync(path.join(REPO, 'package.json'), path.join(dir, 'package.json'));
  for (const file of ['index.js', 'desktop-url.js', 'configure.js']) {
    cpSync(path.join(REPO, 'worker', file), path.join(dir, 'worker', file));
  }
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  const configure = spawnSync(process.execPath, [path.join(dir, 'worker', 'configure.js')], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  return { dir, configure, module: pathToFileURL(path.join(dir, 'worker', 'index.js')) };
}

const bakedIn = (dir) => readFileSync(path.join(dir, 'worker', 'desktop-url.js'), 'utf8');

before(async () => {
  server = await startMockprock();
  mockprock = new Mockprock(server.url);
});

after(async () => {
  await server?.stop();
  for (const dir of builds) {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the repository keeps the default desktop address', () => {
  assert.equal(DESKTOP_URL, 'http://localhost:11136');
  // index.js runs only in a worker (it registers the message handler), so read it.
  const index = readFileSync(path.join(REPO, 'worker', 'index.js'), 'utf8');
  assert.match(index, /^import \{ DESKTOP_URL \} from '\.\/desktop-url\.js';$/m);
  assert.match(index, /^export const DEFAULT_BASE_URL = DESKTOP_URL;$/m);
});

test('a build with MOCKPROCK_DESKTOP_URL calls that address with no config message', async () => {
  const build = configuredBuild({ MOCKPROCK_DESKTOP_URL: `${server.url}/` });
  assert.equal(build.configure.status, 0, build.configure.stderr);
  assert.match(bakedIn(build.dir), new RegExp(`DESKTOP_URL = "${server.url}";`));

  const attemptExternalId = await mockprock.registerAttempt();
  const reply = await lmsMessage(
    { type: 'startExamAttempt', timeout: 60_000, attemptExternalId },
    { module: build.module },
  );
  assert.deepEqual(reply, { type: 'examAttemptStarted' });
  assert.equal((await mockprock.desktop(attemptExternalId)).status, 'running');
});

test('a build without the variable keeps the default address', async () => {
  const build = configuredBuild({});
  assert.equal(build.configure.status, 0, build.configure.stderr);
  assert.match(bakedIn(build.dir), /DESKTOP_URL = "http:\/\/localhost:11136";/);
  // An unreachable address names the URL it tried; a reachable one is proven above.
  const reply = await lmsMessage(
    { type: 'ping', timeout: 5_000, attemptExternalId: 'no-such-attempt' },
    { module: build.module },
  );
  assert.equal(reply.type, 'pingFailed');
  if (reply.error.reason === 'unreachable') {
    assert.ok(reply.error.message.includes('http://localhost:11136'), reply.error.message);
  }
});

test('a bad MOCKPROCK_DESKTOP_URL fails the build and leaves the module as it was', () => {
  for (const bad of ['localhost:11136', 'ftp://example.com', 'http://example.com/?x=1', 'not a url']) {
    const build = configuredBuild({ MOCKPROCK_DESKTOP_URL: bad });
    assert.equal(build.configure.status, 2, bad);
    assert.match(build.configure.stderr, /MOCKPROCK_DESKTOP_URL/);
    assert.equal(bakedIn(build.dir), readFileSync(path.join(REPO, 'worker', 'desktop-url.js'), 'utf8'));
  }
});
