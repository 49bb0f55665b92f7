// What the node tests share: a live mockprock server, the LMS's side of the provider
// API and control API, and the LMS's way of talking to the worker.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const LISTENING = /listening on (http:\/\/\S+)/;
const CLIENT_ID = 'abcd';
const CLIENT_SECRET = 'abcdsecret';

/**
 * Start `python -m mockprock.server` on a free loopback port with its own store.
 * The Python is $MOCKPROCK_PYTHON, else the repository's .venv.
 */
export async function startMockprock(...args) {
  const dir = mkdtempSync(path.join(tmpdir(), 'mockprock-worker-'));
  const python = path.resolve(REPO, process.env.MOCKPROCK_PYTHON || '.venv/bin/python');
  const child = spawn(
    python,
    ['-m', 'mockprock.server', '--host', '127.0.0.1', '--port', '0',
      '--db', path.join(dir, 'mockprock.sqlite'), ...args],
    { cwd: REPO, env: { ...process.env, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = [];
  const url = await new Promise((resolve, reject) => {
    const fail = (why) => reject(new Error(`mockprock did not start (${why}):\n${output.join('\n')}`));
    const timer = setTimeout(() => fail('no "listening on" line within 20 s'), 20_000);
    child.on('error', (error) => fail(error.message));
    child.on('exit', (code) => fail(`exited with ${code}`));
    createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      const match = LISTENING.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return {
    url,
    output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A loopback URL nothing listens on. */
export async function closedUrl() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return `http://127.0.0.1:${port}`;
}

/** The LMS's side of mockprock: the provider API (as edx-proctoring) and the control API. */
export class Mockprock {
  constructor(url) {
    this.url = url;
    this.token = null;
  }

  async json(method, pathname, headers, body) {
    const response = await fetch(`${this.url}${pathname}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) {
      throw new Error(`${method} ${pathname}: HTTP ${response.status} ${JSON.stringify(data)}`);
    }
    return data;
  }

  async api(method, pathname, body) {
    if (!this.token) {
      const form = new URLSearchParams({
        grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token_type: 'jwt',
      });
      const response = await fetch(`${this.url}/oauth2/access_token`, { method: 'POST', body: form });
      this.token = (await response.json()).access_token;
    }
    return this.json(method, pathname, { Authorization: `JWT ${this.token}` }, body);
  }

  control(method, pathname, body) {
    const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');
    return this.json(method, `/mockprock/api${pathname}`, { Authorization: `Basic ${basic}` }, body);
  }

  /** An exam and a learner's attempt on it, as edx-proctoring registers them; the
   * attempt's external id. */
  async registerAttempt() {
    this.exams = (this.exams || 0) + 1;
    const { id: examId } = await this.api('POST', '/api/v1/exam/', {
      id: this.exams,
      course_id: 'course-v1:edX+DemoX+Demo_Course',
      content_id: `block-v1:edX+DemoX+Demo_Course+type@sequential+block@exam${this.exams}`,
      exam_name: 'Final Exam',
      time_limit_mins: 30,
      is_proctored: true,
      is_practice_exam: false,
      is_active: true,
      due_date: null,
      hide_after_due: false,
      backend: 'mockprock',
      rules: {},
    });
    const attempt = await this.api('POST', `/api/v1/exam/${examId}/attempt/`, {
      lms_host: 'http://127.0.0.1:9',
      time_limit_mins: 30,
      is_sample_attempt: false,
      user_id: `learner${this.exams}`,
      full_name: 'Ada Learner',
      email: 'learner@example.com',
      status: 'created',
    });
    return attempt.id;
  }

  desktop(attemptId) {
    return this.control('GET', `/attempts/${attemptId}/desktop`);
  }

  setDesktop(attemptId, fault) {
    return this.control('PUT', `/attempts/${attemptId}/desktop`, fault);
  }
}

function nextMessage(worker) {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
    };
    const onMessage = (data) => { cleanup(); resolve(data); };
    const onError = (error) => { cleanup(); reject(error); };
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
}

/**
 * Do what the LMS does for one action: start a fresh worker, post it one message
 * (after a `config` message when `baseUrl` is given) and take its first reply.
 * `module` is the worker's URL when not the repository's `worker/index.js`; `origin`
 * is the origin of the page running the worker (the browser sends it with each fetch).
 */
export async function lmsMessage(message, { baseUrl, module, origin } = {}) {
  const worker = new Worker(new URL('./lms-worker.js', import.meta.url), {
    workerData: { module: module?.href, origin },
  });
  try {
    await nextMessage(worker); // the bundle is loaded
    if (baseUrl) {
      worker.postMessage({ type: 'config', options: { baseUrl } });
    }
    const reply = nextMessage(worker);
    worker.postMessage(message);
    return await reply;
  } finally {
    await worker.terminate();
  }
}
