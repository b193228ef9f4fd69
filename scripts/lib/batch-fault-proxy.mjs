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
 * own; at most `concurrency` at once) — or through an in-process function (`runner.child`) — and
 * DescribeJobs answers RUNNABLE, then RUNNING until it ends, then SUCCEEDED or FAILED with its exit code.
 * In runner mode, ARRAY jobs are modelled on AWS, not moto (scripts/lib/batch-job-runner.mjs): moto holds
 * only the parent (as a plain job), the proxy answers for the children (DescribeJobs by child id,
 * ListJobs by `arrayJobId` and status, paged; TerminateJob of the parent or of one child).
 *
 * In every mode, requests AWS refuses and moto accepts are refused as AWS does (ClientException): an array
 * size outside 2..10,000, DescribeJobs of more than 100 ids, ListJobs `maxResults` outside 1..1000.
 * Every call is logged with its time (`calls`, `countsBetween`), so a benchmark can count calls per cycle.
 *
 * @module
 */
import http from 'node:http';
import { JobRunner } from './batch-job-runner.mjs';

export { OOM_REASON } from './batch-job-runner.mjs';

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

/** A JSON body, or `{}` when it is not JSON. */
function parseJson(body) {
  try {
    return JSON.parse(body.toString('utf8')) ?? {};
  } catch {
    return {};
  }
}

/** A 200 answer with a JSON body. */
function json(value) {
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(value)),
  };
}

/** AWS's ClientException for a request it refuses before acting (moto accepts these). */
function refusal(action, request) {
  const refuse = (message) => ({ status: 400, type: 'ClientException', message });
  if (action === 'SubmitJob' && request.arrayProperties !== undefined) {
    const size = request.arrayProperties?.size;
    if (!Number.isInteger(size) || size < 2 || size > 10_000) {
      return refuse(`Array size must be between 2 and 10000; got ${size}.`);
    }
  }
  if (action === 'DescribeJobs' && (request.jobs?.length ?? 0) > 100) {
    return refuse('Maximum number of jobs supported is 100');
  }
  if (action === 'ListJobs' && request.maxResults !== undefined) {
    if (!Number.isInteger(request.maxResults) || request.maxResults < 1 || request.maxResults > 1000) {
      return refuse(`maxResults must be between 1 and 1000; got ${request.maxResults}.`);
    }
  }
  return undefined;
}

/** Forwards a call with a JSON body of our own (same headers, the body's length) to `path` on moto. */
function forwardJson(target, req, path, value) {
  const body = Buffer.from(JSON.stringify(value));
  const headers = { ...req.headers, 'content-length': String(body.length) };
  return forward(target, { method: 'POST', url: path, headers }, body);
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
  const calls = [];
  const submitted = [];
  const describeJobs = [];
  const state = { throttled: 0, decide: faultDecider(faults) };
  /** @type {Map<string, { status: number, type: string, message?: string, forward?: boolean, times?: number }>} */
  const actionFaults = new Map();
  const faulted = {};
  const jobs = runner ? new JobRunner(runner) : undefined;
  /** Moto's detail of each array parent (a plain job there), the base of its children's details. */
  const parents = new Map();
  const parentDetail = async (req, jobId) => {
    if (!parents.has(jobId)) {
      const up = await forwardJson(target, req, '/v1/describejobs', { jobs: [jobId] });
      const detail = JSON.parse(up.body.toString('utf8')).jobs?.[0];
      if (detail) parents.set(jobId, detail);
    }
    return parents.get(jobId);
  };
  /** Answers one call: forwarded to moto, array calls answered (runner mode) as AWS would. */
  const answer = async (action, req, body) => {
    const request =
      action === 'SubmitJob' ||
      action === 'DescribeJobs' ||
      action === 'ListJobs' ||
      action === 'TerminateJob'
        ? parseJson(body)
        : undefined;
    const refused = request && refusal(action, request);
    if (refused) return { error: refused };
    if (jobs && action === 'DescribeJobs') return describe(req, request);
    if (jobs && action === 'ListJobs' && jobs.arrayOf(request.arrayJobId)) {
      const parent = jobs.arrayOf(request.arrayJobId);
      const detail = await parentDetail(req, parent.jobId);
      return json(jobs.listChildren(parent, request, detail?.jobArn));
    }
    if (jobs && action === 'TerminateJob' && jobs.isChild(request.jobId)) {
      jobs.terminate(request.jobId, request.reason);
      return json({});
    }
    const arrayInRunner = jobs && action === 'SubmitJob' && request.arrayProperties;
    const up = arrayInRunner
      ? // moto makes the parent as a plain job; the runner makes and runs the children (AWS's way).
        await forwardJson(target, req, req.url, { ...request, arrayProperties: undefined })
      : await forward(target, req, body);
    if (up.status === 200 && action === 'SubmitJob') {
      const { jobId } = JSON.parse(up.body.toString('utf8'));
      const size = request.arrayProperties?.size;
      submitted.push({ jobId, jobName: request.jobName, ...(size ? { size } : {}) });
      jobs?.submit(jobId, request);
    } else if (up.status === 200 && action === 'TerminateJob') {
      jobs?.terminate(request.jobId, request.reason);
    } else if (up.status === 200 && action === 'ListJobs' && jobs) {
      // A queue's listing: the runner's jobs and array parents in their own states (moto says SUCCEEDED).
      const out = JSON.parse(up.body.toString('utf8'));
      out.jobSummaryList = (out.jobSummaryList ?? []).map((summary) => jobs.summarize(summary));
      return json(out);
    }
    return up;
  };
  /** DescribeJobs in runner mode: moto's details rewritten, array children's made from their parent's. */
  const describe = async (req, request) => {
    const ids = request.jobs ?? [];
    const children = ids.filter((id) => jobs.isChild(id));
    const others = ids.filter((id) => !jobs.isChild(id));
    const details = [];
    if (others.length > 0) {
      const up = await forwardJson(target, req, req.url, { jobs: others });
      if (up.status !== 200) return up;
      for (const d of JSON.parse(up.body.toString('utf8')).jobs ?? []) {
        if (jobs.arrayOf(d.jobId) && !parents.has(d.jobId)) parents.set(d.jobId, d);
        details.push(jobs.describe(d));
      }
    }
    for (const id of children) {
      const base = await parentDetail(req, id.slice(0, id.lastIndexOf(':')));
      if (base) details.push(jobs.describeChild(base, id));
    }
    return json({ jobs: details });
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const action = actionOf(req);
      counts[action] = (counts[action] ?? 0) + 1;
      calls.push({ at: performance.now(), action });
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
        const up = await answer(action, req, body);
        if (fault) return awsError(res, fault); // the call had its effect; the answer is an error
        if (up.error) return awsError(res, up.error);
        const headers = { ...up.headers, 'content-length': String(up.body.length) };
        delete headers['transfer-encoding'];
        res.writeHead(up.status, headers);
        res.end(up.body);
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
        calls,
        countsBetween(from, to = Number.POSITIVE_INFINITY) {
          const by = {};
          for (const c of calls) if (c.at >= from && c.at < to) by[c.action] = (by[c.action] ?? 0) + 1;
          return by;
        },
        submitted,
        stateChanges: jobs?.changes ?? [],
        setChildFailures: (failures) => jobs?.setChildFailures(failures),
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
        arrayStatus(jobId) {
          const parent = jobs?.arrayOf(jobId);
          if (!parent) return undefined;
          return {
            status: jobs.parentStatus(parent),
            size: parent.size,
            statusSummary: { ...parent.counts },
          };
        },
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
