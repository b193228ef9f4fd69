/**
 * A FAULT-INJECTING stand-in in front of the moto server's Batch and Logs API, for tests and benchmarks
 * of `@batch` throttling: a loopback HTTP proxy that forwards every call to moto, counts calls by action,
 * and answers a chosen share of SubmitJob calls with a real-looking throttling answer (HTTP 429,
 * `x-amzn-ErrorType: TooManyRequestsException`, JSON body with `message`), as AWS does above its
 * SubmitJob quota — moto never throttles. Faults are either a chosen sequence, a seeded random fraction,
 * or an account quota (a token bucket of N SubmitJob per second, as AWS enforces it).
 *
 * Any action can also be answered with a chosen AWS error (`setActionFault`): e.g. DescribeJobs refused
 * with `AccessDeniedException` (403) or failing with 503, or SubmitJob answered 503 AFTER moto created
 * the job (`forward: true`), as AWS may do.
 *
 * Optionally (`runner`) it is also a JOB-RUNNER stand-in for moto's simple mode, where jobs succeed
 * without running: each submitted job's command runs as a local process with the job's environment
 * (plus the given credentials, as the job's credentials endpoint would give them; a temp folder of its
 * own; at most `concurrency` at once), and DescribeJobs answers RUNNABLE, then RUNNING until the
 * process exits, then SUCCEEDED or FAILED with its exit code.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REST_ACTIONS = {
  submitjob: 'SubmitJob',
  describejobs: 'DescribeJobs',
  registerjobdefinition: 'RegisterJobDefinition',
  describejobdefinitions: 'DescribeJobDefinitions',
  describejobqueues: 'DescribeJobQueues',
  describecomputeenvironments: 'DescribeComputeEnvironments',
  listjobs: 'ListJobs',
  terminatejob: 'TerminateJob',
  canceljob: 'CancelJob',
  tagresource: 'TagResource',
};

/**
 * The API action of a request: Batch's REST path (`/v1/submitjob` → `SubmitJob`) or a JSON protocol's
 * `x-amz-target` (`Logs_20140328.GetLogEvents` → `GetLogEvents`).
 *
 * @param {{ headers: http.IncomingHttpHeaders, url?: string, method?: string }} req
 * @returns {string}
 * @example
 * actionOf({ headers: {}, url: '/v1/submitjob', method: 'POST' }); // 'SubmitJob'
 */
export function actionOf(req) {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop() ?? target;
  const m = /^\/v1\/([a-z]+)/.exec(req.url ?? '');
  if (!m) return `other ${req.method} ${req.url}`;
  return REST_ACTIONS[m[1]] ?? m[1];
}

/** mulberry32: a small seeded PRNG, so a "random" fraction of faults is the same on every run. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Decides, per SubmitJob call, whether to answer 429. */
function faultDecider(faults) {
  if (!faults) return () => false;
  if (faults.sequence) {
    const sequence = [...faults.sequence];
    return () => sequence.shift() ?? false;
  }
  if (faults.quotaPerSecond) {
    const rate = faults.quotaPerSecond;
    let tokens = rate;
    let last = performance.now();
    return () => {
      const now = performance.now();
      tokens = Math.min(rate, tokens + ((now - last) / 1000) * rate);
      last = now;
      if (tokens < 1) return true;
      tokens -= 1;
      return false;
    };
  }
  const random = seeded(faults.seed ?? 1);
  const fraction = faults.fraction ?? 0;
  return () => random() < fraction;
}

/** How many job ids a DescribeJobs body asks about. */
function jobIdsOf(body) {
  try {
    return JSON.parse(body.toString('utf8')).jobs?.length ?? 0;
  } catch {
    return 0;
  }
}

function throttle(res) {
  const body = JSON.stringify({ message: 'Too Many Requests' });
  res.writeHead(429, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': 'TooManyRequestsException',
    'x-amzn-requestid': `fault-${Math.random().toString(16).slice(2)}`,
  });
  res.end(body);
}

/** Answers an AWS JSON error (`x-amzn-ErrorType`, body with `message`). */
function awsError(res, { status, type, message }) {
  const body = JSON.stringify({ __type: type, message: message ?? type });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': type,
    'x-amzn-requestid': `fault-${Math.random().toString(16).slice(2)}`,
  });
  res.end(body);
}

function forward(target, req, body) {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url ?? '/', target);
    const out = http.request(
      url,
      { method: req.method, headers: { ...req.headers, host: url.host } },
      (up) => {
        const chunks = [];
        up.on('data', (c) => chunks.push(c));
        up.on('end', () =>
          resolve({ status: up.statusCode ?? 502, headers: up.headers, body: Buffer.concat(chunks) }),
        );
        up.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

/** The job-runner stand-in: runs submitted jobs' commands as local processes. */
class JobRunner {
  constructor({ concurrency = 16, env = {} }) {
    this.concurrency = concurrency;
    this.env = env;
    /** @type {Map<string, { status: string, exitCode?: number, reason?: string, output: string, child?: import('node:child_process').ChildProcess }>} */
    this.jobs = new Map();
    this.queue = [];
    this.running = 0;
    this.idle = [];
  }

  submit(jobId, request) {
    const job = { status: 'RUNNABLE', output: '' };
    this.jobs.set(jobId, job);
    this.queue.push({ jobId, job, request });
    this.pump();
  }

  pump() {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const { job, request } = this.queue.shift();
      this.running++;
      this.start(job, request);
    }
    if (this.running === 0 && this.queue.length === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  start(job, request) {
    const command = request.containerOverrides?.command ?? [];
    const environment = Object.fromEntries(
      (request.containerOverrides?.environment ?? []).map((e) => [e.name, e.value ?? '']),
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'stepflow-job-'));
    const done = (exitCode, reason) => {
      job.status = exitCode === 0 ? 'SUCCEEDED' : 'FAILED';
      job.exitCode = exitCode;
      job.reason = reason;
      job.child = undefined;
      rmSync(dir, { recursive: true, force: true });
      this.running--;
      this.pump();
    };
    if (command.length === 0) return done(1, 'the job has no command');
    job.status = 'RUNNING';
    // A container's view: the job's environment, credentials from the (stand-in) endpoint, its own /tmp.
    const child = spawn(command[0], command.slice(1), {
      env: { PATH: process.env.PATH, HOME: dir, TMPDIR: dir, ...environment, ...this.env },
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    job.child = child;
    const keep = (chunk) => {
      job.output = (job.output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => done(127, `could not start ${command[0]}: ${err.message}`));
    child.on('close', (code, signal) =>
      done(code ?? 137, code === 0 ? 'Essential container in task exited' : `exited with ${code ?? signal}`),
    );
  }

  terminate(jobId) {
    const job = this.jobs.get(jobId);
    if (!job) return;
    job.child?.kill('SIGKILL');
    const queued = this.queue.findIndex((q) => q.jobId === jobId);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      job.status = 'FAILED';
      job.reason = 'terminated';
      this.pump();
    }
  }

  /** Rewrites moto's description of a job the runner runs (moto's simple mode says SUCCEEDED at once). */
  describe(detail) {
    const job = this.jobs.get(detail.jobId);
    if (!job) return detail;
    const container = { ...(detail.container ?? {}) };
    delete container.logStreamName;
    if (job.exitCode !== undefined) container.exitCode = job.exitCode;
    else delete container.exitCode;
    const out = { ...detail, status: job.status, container, attempts: [] };
    if (job.reason) out.statusReason = job.reason;
    else delete out.statusReason;
    return out;
  }

  whenIdle() {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  stop() {
    this.queue.length = 0;
    for (const job of this.jobs.values()) job.child?.kill('SIGKILL');
  }
}

/**
 * Starts the fault-injecting proxy on 127.0.0.1 and a free port.
 *
 * @param {import('./batch-fault-proxy.d.mts').FaultProxyOptions} options
 * @returns {Promise<import('./batch-fault-proxy.d.mts').FaultProxy>}
 * @example
 * const proxy = await startFaultProxy({ target: moto.url, faults: { fraction: 0.3, seed: 7 } });
 * process.env.AWS_ENDPOINT_URL = proxy.url;
 * // ... submit jobs ...
 * proxy.counts.SubmitJob; proxy.throttled; // calls made, calls answered 429
 * await proxy.close();
 */
export function startFaultProxy({ target, faults, runner }) {
  const counts = {};
  const submitted = [];
  const describeJobs = [];
  const state = { throttled: 0, decide: faultDecider(faults) };
  /** @type {Map<string, { status: number, type: string, message?: string, forward?: boolean, times?: number }>} */
  const actionFaults = new Map();
  const faulted = {};
  const jobs = runner ? new JobRunner(runner) : undefined;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const action = actionOf(req);
      counts[action] = (counts[action] ?? 0) + 1;
      if (action === 'DescribeJobs') describeJobs.push({ at: performance.now(), ids: jobIdsOf(body) });
      if (action === 'SubmitJob' && state.decide()) {
        state.throttled++;
        return throttle(res);
      }
      const fault = actionFaults.get(action);
      if (fault) {
        if (fault.times !== undefined && --fault.times <= 0) actionFaults.delete(action);
        faulted[action] = (faulted[action] ?? 0) + 1;
      }
      if (fault && !fault.forward) return awsError(res, fault);
      try {
        const up = await forward(target, req, body);
        let answer = up.body;
        if (up.status === 200 && action === 'SubmitJob') {
          const request = JSON.parse(body.toString('utf8'));
          const { jobId } = JSON.parse(up.body.toString('utf8'));
          submitted.push({ jobId, jobName: request.jobName });
          jobs?.submit(jobId, request);
        } else if (up.status === 200 && action === 'DescribeJobs' && jobs) {
          const out = JSON.parse(up.body.toString('utf8'));
          out.jobs = (out.jobs ?? []).map((d) => jobs.describe(d));
          answer = Buffer.from(JSON.stringify(out));
        } else if (up.status === 200 && action === 'TerminateJob' && jobs) {
          jobs.terminate(JSON.parse(body.toString('utf8')).jobId);
        }
        if (fault) return awsError(res, fault); // the call had its effect; the answer is an error
        const headers = { ...up.headers, 'content-length': String(answer.length) };
        delete headers['transfer-encoding'];
        res.writeHead(up.status, headers);
        res.end(answer);
      } catch (err) {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(String(err));
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      resolve({
        url: `http://127.0.0.1:${port}`,
        counts,
        submitted,
        describeJobs,
        get throttled() {
          return state.throttled;
        },
        setFaults(next) {
          state.decide = faultDecider(next);
        },
        faulted,
        setActionFault(action, fault) {
          if (fault) actionFaults.set(action, { ...fault });
          else actionFaults.delete(action);
        },
        jobOutput: (jobId) => jobs?.jobs.get(jobId)?.output,
        jobStatus: (jobId) => jobs?.jobs.get(jobId)?.status,
        jobStatuses: () => {
          const by = {};
          for (const job of jobs?.jobs.values() ?? []) by[job.status] = (by[job.status] ?? 0) + 1;
          return by;
        },
        whenIdle: () => jobs?.whenIdle() ?? Promise.resolve(),
        close: () =>
          new Promise((done) => {
            jobs?.stop();
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}
