// Stand-in for the GitHub Actions runner listener (Runner.Listener), for simulated guests.
// Reads the JIT config from stdin (run.sh pipes it), talks to the fake GitHub's runner protocol,
// takes one job, "runs" it and exits 0. TART_SIM_RUNNER_EXITS and TART_SIM_RUNNER_UPDATE_MS make
// launches exit early with the listener's other return codes, or self-update (test/sim/README.md). Console lines match actions/runner byte for byte where the
// host agent parses them; see test/fake-github/README.md. Self-contained: node built-ins only.
import { createPrivateKey, createSign, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, URLSearchParams } from 'node:url';
import { plannedExit, selfUpdate, UPDATED_VERSION } from './launch-plan.mjs';

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const RUNNER_VERSION = existsSync(path.join(ROOT, '.sim-updated')) ? UPDATED_VERSION : '2.330.0';
const RETRY_MS = 1000;

/** actions/runner prints `DateTime.UtcNow:u`, e.g. `2026-11-28 01:02:03Z`. */
const ts = () => new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const out = (line) => process.stdout.write(`${line}\n`);
const err = (line) => process.stderr.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class Fatal extends Error {
  constructor(message, code = 1) {
    super(message);
    this.code = code;
  }
}

/**
 * Runner.Listener's LoadAndSetEnv: every `KEY=VALUE` line of `.env` in the runner root becomes an
 * environment variable of the runner, and so of every job step it starts.
 */
function loadDotEnv() {
  const file = path.join(ROOT, '.env');
  if (!existsSync(file)) return;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    if (key && value) process.env[key] = value;
  }
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8').trim();
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const INVALID_BASE64 = 'The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters.';

function fromBase64(value) {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) throw new Fatal(INVALID_BASE64);
  return Buffer.from(value, 'base64').toString('utf8');
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    throw new Fatal(`Unexpected character encountered while parsing value: ${text.slice(0, 1)}. Path '', line 1, position 1.`);
  }
}

/** Decodes the JIT config the way Runner.cs does, but keeps the three files in memory only. */
function decodeJitConfig(encoded) {
  const files = parseJson(fromBase64(encoded));
  if (files === null || typeof files !== 'object') throw new Fatal('Unexpected JIT config: expected a JSON object of config files.');
  const file = (name) => {
    if (files[name] === undefined) throw new Fatal('An error occurred: Not configured. Run config.(sh/cmd) to configure the runner.');
    return parseJson(fromBase64(files[name]));
  };
  return { settings: file('.runner'), credentials: file('.credentials'), rsa: file('.credentials_rsaparams') };
}

function clientAssertion(credentials, rsa) {
  const b64url = (v) => Buffer.from(v, 'base64').toString('base64url');
  const key = createPrivateKey({
    format: 'jwk',
    key: { kty: 'RSA', n: b64url(rsa.modulus), e: b64url(rsa.exponent), d: b64url(rsa.d), p: b64url(rsa.p), q: b64url(rsa.q), dp: b64url(rsa.dp), dq: b64url(rsa.dq), qi: b64url(rsa.inverseQ) },
  });
  const now = Math.floor(Date.now() / 1000);
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const { clientId, authorizationUrl } = credentials.data;
  const body = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({ sub: clientId, iss: clientId, aud: authorizationUrl, jti: randomUUID(), nbf: now - 30, iat: now - 30, exp: now + 300 })}`;
  return `${body}.${createSign('RSA-SHA256').update(body).sign(key).toString('base64url')}`;
}

async function request(url, init = {}, timeoutMs = 30_000) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

async function connect(config) {
  const { credentials, rsa } = config;
  let reported = false;
  for (;;) {
    try {
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: clientAssertion(credentials, rsa),
      });
      const res = await request(credentials.data.authorizationUrl, { method: 'POST', body: form });
      if (res.status === 400 || res.status === 401) {
        throw new Fatal('Failed to create a session. The runner registration has been deleted from the server, please re-configure.');
      }
      if (!res.ok) throw new Error(`Response status code does not indicate success: ${res.status}`);
      const { access_token: token } = await res.json();
      return token;
    } catch (error) {
      if (error instanceof Fatal) throw error;
      if (!reported) err(`${ts()}: Runner connect error: ${error.message}. Retrying until reconnected.`);
      reported = true;
      await sleep(RETRY_MS);
    }
  }
}

/** Like MessageListener.CreateSessionAsync: server errors and network failures are retried until it works. */
async function createSession(base, headers, settings) {
  let failing = false;
  for (;;) {
    let res;
    try {
      res = await request(`${base}/sessions`, { method: 'POST', headers, body: JSON.stringify({ sessionName: os.hostname(), agent: { id: settings.agentId, name: settings.agentName, version: RUNNER_VERSION } }) });
    } catch (error) {
      if (!failing) err(`${ts()}: Runner connect error: ${error.message}. Retrying until reconnected.`);
      failing = true;
      await sleep(RETRY_MS);
      continue;
    }
    if (res.status === 409) throw new Fatal('A session for this runner already exists.', 5);
    if (res.status === 401) throw new Fatal('Failed to create a session. The runner registration has been deleted from the server, please re-configure.');
    if (res.status >= 500) {
      if (!failing) err(`${ts()}: Runner connect error: Response status code does not indicate success: ${res.status}. Retrying until reconnected.`);
      failing = true;
      await sleep(RETRY_MS);
      continue;
    }
    if (!res.ok) throw new Fatal(`Failed to create session. Response status code does not indicate success: ${res.status}`);
    if (failing) out(`${ts()}: Runner reconnected.`);
    return res.json();
  }
}

async function main() {
  const planned = plannedExit(ROOT, process.env);
  loadDotEnv();
  const encoded = await readStdin();
  if (!encoded) throw new Fatal('An error occurred: Not configured. Run config.(sh/cmd) to configure the runner.');
  const config = decodeJitConfig(encoded);
  const base = String(config.settings.serverUrl).replace(/\/+$/, '');
  const token = await connect(config);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-runner-version': RUNNER_VERSION, 'x-runner-os': os.platform() === 'darwin' ? 'macos' : 'linux' };

  out('');
  out('√ Connected to GitHub');
  out('');
  const session = await createSession(base, headers, config.settings);
  const closeSession = () => request(`${base}/sessions/${session.sessionId}`, { method: 'DELETE', headers }, 5000).catch(() => undefined);

  out(`Current runner version: '${RUNNER_VERSION}'`);
  if (planned !== undefined && planned.code !== 3 && planned.code !== 4) {
    await closeSession();
    throw new Fatal(planned.code === 5 ? 'A session for this runner already exists.' : `An error occurred: simulated listener exit ${planned.code} (TART_SIM_RUNNER_EXITS)`, planned.code);
  }
  out(`${ts()}: Listening for Jobs`);
  if (planned !== undefined) {
    // An outdated runner's first message is the refresh: it updates and exits before taking a job.
    const code = await selfUpdate(ROOT, out, planned);
    await closeSession();
    return code;
  }

  let current; // { stop(): void } while a job runs
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    out('Exiting...');
    if (current) current.stop();
    else void closeSession().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let reported = false;
  for (;;) {
    let res;
    try {
      res = await request(`${base}/sessions/${session.sessionId}/message`, { headers }, session.pollTimeoutMs + 15_000);
    } catch (error) {
      if (stopping) return 0;
      if (!reported) err(`${ts()}: Runner connect error: ${error.message}. Retrying until reconnected.`);
      reported = true;
      await sleep(RETRY_MS);
      continue;
    }
    if (reported) out(`${ts()}: Runner reconnected.`);
    reported = false;
    if (res.status === 202) continue;
    if (res.status === 401 || res.status === 404) throw new Fatal('Runner registration has been deleted from the server, runner will exit.');
    if (!res.ok) {
      err(`${ts()}: Runner connect error: Response status code does not indicate success: ${res.status}. Retrying until reconnected.`);
      reported = true;
      await sleep(RETRY_MS);
      continue;
    }
    const message = await res.json();
    const job = JSON.parse(message.body);
    const result = await runJob(base, headers, session, job, (handle) => { current = handle; });
    out(`${ts()}: Job ${job.jobDisplayName} completed with result: ${result}`);
    await closeSession();
    return 0;
  }
}

/** "Runs" one job: its script (if any) and at least its duration; renews the job lock meanwhile. */
async function runJob(base, headers, session, job, setCurrent) {
  out(`${ts()}: Running job: ${job.jobDisplayName}`);
  let canceled = false;
  let child;
  let wake;
  const woken = new Promise((resolve) => { wake = resolve; });
  const stop = () => {
    canceled = true;
    child?.kill('SIGTERM');
    wake();
  };
  setCurrent({ stop });
  const beat = setInterval(async () => {
    try {
      const res = await request(`${base}/jobs/${job.jobId}/renew`, { method: 'POST', headers }, 10_000);
      if (res.status === 404) return stop();
      const body = await res.json();
      if (body.cancelRequested) stop();
    } catch {
      // Lost connection: keep running the job, the server fails it if we stay silent too long.
    }
  }, session.heartbeatIntervalMs);

  let scriptFailed = false;
  const script = job.script
    ? new Promise((resolve) => {
        child = spawn('/bin/bash', ['-c', job.script], { stdio: 'inherit', cwd: os.homedir() });
        child.on('exit', (code) => { scriptFailed = code !== 0; resolve(); });
        child.on('error', () => { scriptFailed = true; resolve(); });
      })
    : Promise.resolve();
  await Promise.race([Promise.all([script, sleep(job.durationMs)]), woken]);
  clearInterval(beat);

  const result = canceled ? 'Canceled' : scriptFailed || job.result === 'failure' ? 'Failed' : job.result === 'cancelled' ? 'Canceled' : 'Succeeded';
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const res = await request(`${base}/jobs/${job.jobId}/complete`, { method: 'POST', headers, body: JSON.stringify({ result }) }, 10_000);
      if (res.ok || res.status === 404) break;
    } catch {
      await sleep(RETRY_MS);
    }
  }
  return result;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    err(error instanceof Fatal ? error.message : `An error occurred: ${error.message}`);
    process.exit(error instanceof Fatal ? error.code : 1);
  },
);
