/**
 * The JOB-RUNNER stand-in behind scripts/lib/batch-fault-proxy.mjs, for moto's simple mode (where jobs
 * "succeed" without running): it runs each submitted job — a plain job, or every child of an ARRAY job —
 * either as a local process (the job's command with its environment) or through an in-process function
 * `(job, index) => exit code` given by a test or benchmark (for width: 10,000 children without 10,000
 * processes), at most `concurrency` at once, and answers for them as AWS Batch does.
 *
 * Arrays are modelled on AWS, not on moto (local-aws.md §7): children `<parent>:<i>` (0 ≤ i < size) are
 * RUNNABLE, RUNNING, then SUCCEEDED or FAILED with `container.exitCode`, `statusReason`, `startedAt` /
 * `stoppedAt` and `arrayProperties.index`; the parent is PENDING while any child is unfinished, then
 * SUCCEEDED when every child succeeded, FAILED once every child ended and any failed (moto keeps it
 * SUBMITTED for good), with `arrayProperties: { size, statusSummary }`. Terminating the parent ends every
 * unfinished child (moto ends none); terminating a child by id ends that one. Each process child gets
 * `AWS_BATCH_JOB_ARRAY_INDEX` (moto sets none) and `AWS_BATCH_JOB_ID=<parent>:<i>`.
 *
 * Faults: chosen array indexes fail once (an exit code and a reason, e.g. AWS's OOM reason) without
 * running, so a test can show a failed child retried alone.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * AWS's `container.reason` of a job killed for exceeding its memory.
 *
 * @example
 * runner.setChildFailures([{ index: 3, exitCode: 137, reason: OOM_REASON }]);
 */
export const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';

/**
 * The states AWS counts in an array parent's `statusSummary`.
 *
 * @example
 * const summary = Object.fromEntries(JOB_STATES.map((s) => [s, 0]));
 */
export const JOB_STATES = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED'];

const ENDED = new Set(['SUCCEEDED', 'FAILED']);

/** The job's environment as the container sees it (SubmitJob's `containerOverrides.environment`). */
function environmentOf(request) {
  return Object.fromEntries(
    (request.containerOverrides?.environment ?? []).map((e) => [e.name, e.value ?? '']),
  );
}

/** @param {{ status: string }} unit */
const ended = (unit) => ENDED.has(unit.status);

/**
 * Runs submitted jobs and array children; see the module's comment.
 *
 * @example
 * const runner = new JobRunner({ concurrency: 64, child: async (job, index) => 0 });
 * runner.submit('abc', { jobName: 'x', arrayProperties: { size: 3 } });
 * await runner.whenIdle();
 */
export class JobRunner {
  /** @param {import('./batch-fault-proxy.d.mts').RunnerOptions} options */
  constructor({ concurrency = 16, env = {}, child, childFailures = [] }) {
    this.concurrency = concurrency;
    this.env = env;
    this.child = child;
    /** @type {Array<{ index: number, exitCode: number, reason?: string }>} */
    this.failures = [...childFailures];
    /** Every job and array child by id. */
    this.jobs = new Map();
    /** Array parents by id: `{ jobId, size, children, counts, createdAt, reason? }`. */
    this.arrays = new Map();
    /** Every state change: when (performance.now()), which job, the new state. */
    this.changes = [];
    this.queue = [];
    this.head = 0;
    this.running = 0;
    this.idle = [];
  }

  /** Chooses array indexes that fail once, from now on. */
  setChildFailures(failures) {
    this.failures = [...(failures ?? [])];
  }

  /** Takes a job accepted by moto: a plain job, or an array parent whose children it makes. */
  submit(jobId, request) {
    const createdAt = Date.now();
    const size = request.arrayProperties?.size;
    if (!size) {
      this.enqueue({ jobId, jobName: request.jobName, request, createdAt, output: '' });
      return this.pump();
    }
    const parent = { jobId, size, request, createdAt, children: [], counts: { RUNNABLE: 0 } };
    for (const s of JOB_STATES) parent.counts[s] = 0;
    this.arrays.set(jobId, parent);
    for (let index = 0; index < size; index++) {
      const unit = { jobId: `${jobId}:${index}`, jobName: request.jobName, request, createdAt, output: '' };
      unit.index = index;
      unit.parent = parent;
      parent.children.push(unit);
      this.enqueue(unit);
    }
    this.pump();
  }

  enqueue(unit) {
    this.jobs.set(unit.jobId, unit);
    this.setStatus(unit, 'RUNNABLE');
    this.queue.push(unit);
  }

  setStatus(unit, status) {
    const counts = unit.parent?.counts;
    if (counts && unit.status) counts[unit.status]--;
    unit.status = status;
    if (counts) counts[status]++;
    this.changes.push({ at: performance.now(), jobId: unit.jobId, status });
  }

  pump() {
    while (this.running < this.concurrency && this.head < this.queue.length) {
      const unit = this.queue[this.head++];
      if (unit.status !== 'RUNNABLE') continue; // terminated while queued
      this.running++;
      this.start(unit);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.running === 0 && this.head >= this.queue.length) {
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  /** Ends a unit once (a terminated one keeps its end); frees its slot when `release`. */
  finish(unit, exitCode, reason, release = true) {
    if (!ended(unit)) {
      unit.exitCode = exitCode;
      unit.reason = reason;
      unit.stoppedAt = Date.now();
      this.setStatus(unit, exitCode === 0 ? 'SUCCEEDED' : 'FAILED');
    }
    unit.child = undefined;
    if (release) {
      this.running--;
      this.pump();
    }
  }

  start(unit) {
    unit.startedAt = Date.now();
    this.setStatus(unit, 'RUNNING');
    const failure = unit.index === undefined ? -1 : this.failures.findIndex((f) => f.index === unit.index);
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      return setImmediate(() => this.finish(unit, f.exitCode, f.reason ?? `exited with ${f.exitCode}`));
    }
    const environment = { ...environmentOf(unit.request), AWS_BATCH_JOB_ID: unit.jobId };
    if (unit.index !== undefined) environment.AWS_BATCH_JOB_ARRAY_INDEX = String(unit.index);
    const command = unit.request.containerOverrides?.command ?? [];
    if (this.child) return this.startInProcess(unit, command, environment);
    if (command.length === 0) return setImmediate(() => this.finish(unit, 1, 'the job has no command'));
    this.startProcess(unit, command, environment);
  }

  startInProcess(unit, command, environment) {
    const job = {
      jobId: unit.jobId,
      jobName: unit.jobName,
      arrayJobId: unit.parent?.jobId,
      command: [...command],
      environment,
    };
    Promise.resolve()
      .then(() => this.child(job, unit.index))
      .then(
        (out) => {
          const exitCode = typeof out === 'number' ? out : out.exitCode;
          const reason = typeof out === 'number' ? undefined : out.reason;
          this.finish(
            unit,
            exitCode,
            reason ?? (exitCode === 0 ? 'Essential container in task exited' : `exited with ${exitCode}`),
          );
        },
        (err) => {
          unit.output = String(err?.stack ?? err).slice(-4000);
          this.finish(unit, 1, `the in-process runner failed: ${err?.message ?? err}`);
        },
      );
  }

  startProcess(unit, command, environment) {
    const dir = mkdtempSync(path.join(tmpdir(), 'stepflow-job-'));
    // A container's view: the job's environment, credentials from the (stand-in) endpoint, its own /tmp.
    const child = spawn(command[0], command.slice(1), {
      env: { PATH: process.env.PATH, HOME: dir, TMPDIR: dir, ...environment, ...this.env },
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    unit.child = child;
    const keep = (chunk) => {
      unit.output = (unit.output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const done = (code, reason) => {
      rmSync(dir, { recursive: true, force: true });
      this.finish(unit, code, reason);
    };
    child.on('error', (err) => done(127, `could not start ${command[0]}: ${err.message}`));
    child.on('close', (code, signal) =>
      done(code ?? 137, code === 0 ? 'Essential container in task exited' : `exited with ${code ?? signal}`),
    );
  }

  /** True for an array child this runner made (moto does not know it). */
  isChild(jobId) {
    return this.jobs.get(jobId)?.parent !== undefined;
  }

  /** The array parent of that id, if this runner tracks it. */
  arrayOf(jobId) {
    return this.arrays.get(jobId);
  }

  /** TerminateJob: a parent ends every unfinished child (AWS); a job or child ends alone. */
  terminate(jobId, reason = 'Terminated by the user') {
    const parent = this.arrays.get(jobId);
    if (parent) {
      parent.reason = reason;
      for (const unit of parent.children) this.terminateUnit(unit, reason);
      return;
    }
    const unit = this.jobs.get(jobId);
    if (unit) this.terminateUnit(unit, reason);
  }

  terminateUnit(unit, reason) {
    if (ended(unit)) return;
    if (unit.status === 'RUNNABLE') {
      unit.stoppedAt = Date.now();
      unit.reason = reason;
      this.setStatus(unit, 'FAILED'); // never started: no slot to free; pump() skips it
      return;
    }
    // A running process is killed (its close event frees the slot); an in-process child cannot be
    // stopped: it is FAILED now and its slot is freed when its function settles.
    unit.child?.kill('SIGKILL');
    unit.exitCode = 137;
    unit.reason = reason;
    unit.stoppedAt = Date.now();
    this.setStatus(unit, 'FAILED');
  }

  /** The parent's AWS state from its children's counts. */
  parentStatus(parent) {
    const c = parent.counts;
    if (c.SUCCEEDED + c.FAILED < parent.size) return 'PENDING';
    return c.FAILED > 0 ? 'FAILED' : 'SUCCEEDED';
  }

  /**
   * Rewrites moto's description of a plain job or array parent this runner runs (moto's simple mode
   * says SUCCEEDED at once); other jobs are returned as they are.
   */
  describe(detail) {
    const parent = this.arrays.get(detail.jobId);
    if (parent) return this.describeParent(detail, parent);
    const unit = this.jobs.get(detail.jobId);
    if (!unit) return detail;
    return this.describeUnit(detail, unit);
  }

  describeParent(detail, parent) {
    const status = this.parentStatus(parent);
    const container = { ...(detail.container ?? {}) };
    delete container.logStreamName;
    delete container.exitCode;
    const out = { ...detail, status, container, attempts: [] };
    out.arrayProperties = { size: parent.size, statusSummary: { ...parent.counts } };
    const started = parent.children.map((c) => c.startedAt).filter((t) => t !== undefined);
    if (started.length > 0) out.startedAt = Math.min(...started);
    else delete out.startedAt;
    if (status === 'PENDING') delete out.stoppedAt;
    else out.stoppedAt = Math.max(...parent.children.map((c) => c.stoppedAt ?? 0));
    if (status === 'FAILED') out.statusReason = parent.reason ?? 'Array Child Job failed';
    else delete out.statusReason;
    return out;
  }

  describeUnit(base, unit) {
    const container = { ...(base.container ?? {}) };
    delete container.logStreamName;
    if (unit.exitCode !== undefined) container.exitCode = unit.exitCode;
    else delete container.exitCode;
    if (unit.reason && unit.status === 'FAILED') container.reason = unit.reason;
    else delete container.reason;
    const out = { ...base, jobId: unit.jobId, status: unit.status, container, attempts: [] };
    if (base.jobArn && unit.parent) out.jobArn = `${base.jobArn}:${unit.index}`;
    if (unit.parent) out.arrayProperties = { index: unit.index };
    if (unit.reason) out.statusReason = unit.reason;
    else delete out.statusReason;
    if (unit.startedAt !== undefined) out.startedAt = unit.startedAt;
    else delete out.startedAt;
    if (unit.stoppedAt !== undefined) out.stoppedAt = unit.stoppedAt;
    else delete out.stoppedAt;
    if (ended(unit) && unit.startedAt !== undefined) {
      out.attempts = [
        {
          container: {
            exitCode: unit.exitCode,
            ...(unit.status === 'FAILED' ? { reason: unit.reason } : {}),
          },
          startedAt: unit.startedAt,
          stoppedAt: unit.stoppedAt,
          statusReason: unit.reason,
        },
      ];
    }
    return out;
  }

  /** A ListJobs summary of a job or array parent this runner runs, in its state; others as they are. */
  summarize(summary) {
    const parent = this.arrays.get(summary.jobId);
    const unit = parent ? undefined : this.jobs.get(summary.jobId);
    if (!parent && !unit) return summary;
    const out = { ...summary, status: parent ? this.parentStatus(parent) : unit.status };
    if (parent) out.arrayProperties = { size: parent.size };
    const stoppedAt = parent ? undefined : unit.stoppedAt;
    if (stoppedAt !== undefined) out.stoppedAt = stoppedAt;
    else delete out.stoppedAt;
    if (unit?.reason) out.statusReason = unit.reason;
    return out;
  }

  /** A child's DescribeJobs detail, made from its parent's (moto's) detail. */
  describeChild(parentDetail, jobId) {
    const unit = this.jobs.get(jobId);
    const base = { ...parentDetail };
    delete base.arrayProperties;
    return this.describeUnit(base, unit);
  }

  /**
   * ListJobs with `arrayJobId`: the children in `jobStatus` (RUNNING without it, as AWS), in index order,
   * `maxResults` (1..1000, default 1000) a page, `nextToken` = where the next page starts.
   */
  listChildren(parent, { jobStatus, maxResults = 1000, nextToken }, jobArn) {
    const status = jobStatus ?? 'RUNNING';
    let i = nextToken ? Number(Buffer.from(nextToken, 'base64url').toString('utf8')) : 0;
    const jobSummaryList = [];
    for (; i < parent.size && jobSummaryList.length < maxResults; i++) {
      const unit = parent.children[i];
      if (unit.status !== status) continue;
      const summary = {
        jobArn: jobArn ? `${jobArn}:${unit.index}` : undefined,
        jobId: unit.jobId,
        jobName: unit.jobName,
        createdAt: unit.createdAt,
        status: unit.status,
        arrayProperties: { index: unit.index },
      };
      if (unit.reason) summary.statusReason = unit.reason;
      if (unit.startedAt !== undefined) summary.startedAt = unit.startedAt;
      if (unit.stoppedAt !== undefined) summary.stoppedAt = unit.stoppedAt;
      if (unit.exitCode !== undefined) summary.container = { exitCode: unit.exitCode };
      if (unit.status === 'FAILED' && unit.reason)
        summary.container = { ...summary.container, reason: unit.reason };
      jobSummaryList.push(summary);
    }
    const more = parent.children.slice(i).some((c) => c.status === status);
    return { jobSummaryList, ...(more ? { nextToken: Buffer.from(String(i)).toString('base64url') } : {}) };
  }

  whenIdle() {
    if (this.running === 0 && this.head >= this.queue.length) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  stop() {
    this.queue.length = 0;
    this.head = 0;
    for (const job of this.jobs.values()) job.child?.kill('SIGKILL');
  }
}
