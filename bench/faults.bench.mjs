/**
 * faults: the trust suite. Runs `bench/flows/faults-flow.ts` under injected faults and counts what a
 * user could be misled by, against a fault-free run measured in the same benchmark:
 *
 * 1. S3 faults: a 100-way foreach on the S3 datastore (its own moto) through the FAULT-INJECTING S3
 *    stand-in (`scripts/lib/s3-fault-proxy.mjs`): 10% of writes answered 503 SlowDown, 2% of
 *    connections cut mid-body. Every task the runtime reports succeeded must be succeeded in the
 *    datastore, every record readable, and every task's artifacts equal to the fault-free run's.
 * 2. Runtime killed: a 50-way foreach whose runtime (only it: its tasks live on) is SIGKILLed at 20
 *    seeded random moments of the run, locally and with every step on `@batch` (the local stand-in: moto +
 *    real containers, 5 kills of a 10-way foreach). A run killed before it was named (no Flow/<id> printed:
 *    it has no run.json) has nothing to resume: it is started again and that run must match. A named run is
 *    resumed at once, while the tasks or jobs the killed runtime left behind may still be writing records
 *    into it; then the bench waits for them to end (`stepflow batch list` on the stand-in). `resume` must
 *    clone every record complete when it started, never more than were ever complete, and end with the
 *    fault-free run's results; every record of the killed run read as complete must hold its result.
 * 3. Concurrent runs: 20 `stepflow run` of the same flow started at once on one datastore: 20 distinct,
 *    complete runs.
 *
 * Prints: faults injected, tasks misreported (goal 0), records inconsistent (goal 0), runs merged (goal 0),
 * and each part's wall time beside its fault-free run. Sizes: STEPFLOW_BENCH_FAULTS_{S3_WIDTH,KILL_WIDTH,
 * KILLS,BATCH_KILLS,BATCH_WIDTH,CONCURRENT} (100/50/20/5/10/20); STEPFLOW_BENCH_FAULTS_PARTS=s3,kill,batch,
 * concurrent picks parts.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startLocalAws } from '../scripts/aws-local.mjs';
import { hostNodeEnv, runCommand } from '../scripts/lib/proc.mjs';
import { seeded, startS3FaultProxy } from '../scripts/lib/s3-fault-proxy.mjs';
import { createBucket, MOTO_AWS_ENV, requireMoto, startBenchMoto } from './lib/moto-s3.mjs';

/** The benchmark's name (`npm run bench -- faults`). */
export const name = 'faults';

/** Where it comes in a full run (a slow one: after the others). */
export const order = 90;

/** One line on what it measures. */
export const description =
  'trust under faults: S3 503s/cut connections, runtime SIGKILLs + resume, 20 concurrent runs (misreported tasks, inconsistent records, merged runs)';

const FLOW = 'bench/flows/faults-flow.ts';
const FLOW_NAME = 'FaultsFlow';
const S3_WIDTH = Number(process.env.STEPFLOW_BENCH_FAULTS_S3_WIDTH) || 100;
const KILL_WIDTH = Number(process.env.STEPFLOW_BENCH_FAULTS_KILL_WIDTH) || 50;
const KILLS = Number(process.env.STEPFLOW_BENCH_FAULTS_KILLS) || 20;
const CONCURRENT = Number(process.env.STEPFLOW_BENCH_FAULTS_CONCURRENT) || 20;
/** `0` skips the @batch kill scenario (and the local Batch stand-in it starts). */
const BATCH_KILLS =
  process.env.STEPFLOW_BENCH_FAULTS_BATCH_KILLS === '0'
    ? 0
    : Number(process.env.STEPFLOW_BENCH_FAULTS_BATCH_KILLS) || 5;
const BATCH_WIDTH = Number(process.env.STEPFLOW_BENCH_FAULTS_BATCH_WIDTH) || 10;
/** Which parts run (comma-separated: s3, kill, batch, concurrent); default all. */
const PARTS = new Set(
  (process.env.STEPFLOW_BENCH_FAULTS_PARTS || 's3,kill,batch,concurrent').split(',').map((p) => p.trim()),
);
const TIMEOUT_MS = 10 * 60_000;
/** The fake credentials moto accepts, and the region as a user's shell sets it (AWS_DEFAULT_REGION only). */
const { AWS_REGION: _userShellHasNone, ...AWS_ENV } = MOTO_AWS_ENV;

/**
 * Run the three parts and report their counts.
 *
 * @example
 * ```js
 * const rows = await run(ctx);
 * ```
 */
export async function run(ctx) {
  ctx.checkCli();
  requireMoto();
  const client = await import(pathToFileURL(path.join(ctx.root, 'dist', 'index.js')).href);
  const zero = { max: 0 };
  const rows = [];
  if (PARTS.has('s3')) {
    const s3 = await s3Faults(ctx, client);
    rows.push(
      { metric: 'S3: faults injected (503 + cut)', value: s3.injected, unit: 'faults' },
      {
        metric: 'S3: tasks misreported',
        value: s3.misreported,
        unit: 'tasks',
        target: zero,
        lowerIsBetter: true,
      },
      {
        metric: 'S3: records inconsistent with the fault-free run',
        value: s3.inconsistent,
        unit: 'tasks',
        target: zero,
        lowerIsBetter: true,
      },
      {
        metric: 'S3: wall time under faults',
        value: s3.faultyMs,
        unit: 'ms',
        baseline: { label: 'fault-free run, same flow', value: s3.cleanMs },
        lowerIsBetter: true,
      },
    );
  }
  if (PARTS.has('kill'))
    rows.push(...killRows('kill (local)', await runtimeKills(ctx, client, localTarget(ctx))));
  if (PARTS.has('batch') && BATCH_KILLS > 0) {
    rows.push(...killRows('kill (@batch, stand-in)', await batchRuntimeKills(ctx, client)));
  }
  if (PARTS.has('concurrent')) {
    const concurrent = await concurrentRuns(ctx, client);
    rows.push(
      { metric: `concurrent: runs started at once`, value: CONCURRENT, unit: 'runs' },
      {
        metric: 'concurrent: runs merged',
        value: concurrent.merged,
        unit: 'runs',
        target: zero,
        lowerIsBetter: true,
      },
      {
        metric: 'concurrent: runs incomplete',
        value: concurrent.incomplete,
        unit: 'runs',
        target: zero,
        lowerIsBetter: true,
      },
      {
        metric: 'concurrent: wall time of the slowest run',
        value: concurrent.slowestMs,
        unit: 'ms',
        baseline: { label: 'one run alone, same flow', value: concurrent.aloneMs },
        lowerIsBetter: true,
      },
    );
  }
  return rows;
}

function killRows(label, kills) {
  const zero = { max: 0 };
  return [
    { metric: `${label}: runtime SIGKILLs (${kills.width}-way foreach)`, value: kills.kills, unit: 'kills' },
    {
      metric: `${label}: killed before the run was named (no record; run again from scratch)`,
      value: kills.unnamed,
      unit: 'kills',
    },
    {
      metric: `${label}: tasks cloned by resume`,
      value: kills.cloned,
      unit: 'tasks',
      baseline: { label: 'complete records in the killed runs, leftovers ended', value: kills.complete },
    },
    {
      metric: `${label}: complete records not reused`,
      value: kills.missed,
      unit: 'tasks',
      target: zero,
      lowerIsBetter: true,
    },
    {
      metric: `${label}: leftover tasks still running after the wait`,
      value: kills.leftover,
      unit: 'tasks',
      target: zero,
      lowerIsBetter: true,
    },
    {
      metric: `${label}: tasks misreported`,
      value: kills.misreported,
      unit: 'tasks',
      target: zero,
      lowerIsBetter: true,
    },
    {
      metric: `${label}: records inconsistent (partial read as complete, or results differ)`,
      value: kills.inconsistent,
      unit: 'tasks',
      target: zero,
      lowerIsBetter: true,
    },
    {
      metric: `${label}: wall time, killed run + resume (named runs)`,
      value: kills.faultyMs,
      unit: 'ms',
      baseline: { label: 'as many fault-free runs', value: kills.cleanMs },
      lowerIsBetter: true,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------
// 1. S3 faults

async function s3Faults(ctx, client) {
  const moto = await startBenchMoto(ctx);
  const proxy = await startS3FaultProxy({ target: moto.url });
  try {
    const bucket = `stepflow-faults-${process.pid}`;
    await createBucket(moto.url, bucket);
    const width = ['--width', String(S3_WIDTH), '--max-num-splits', String(S3_WIDTH)];
    const s3Run = async (root) =>
      cli(ctx, ['run', FLOW, '--datastore', 's3', '--datastore-root', root, ...width], {
        ...AWS_ENV,
        METAFLOW_S3_ENDPOINT_URL: proxy.url,
      });
    const cleanRoot = `s3://${bucket}/clean`;
    const clean = await s3Run(cleanRoot);
    if (clean.code !== 0) throw new Error(`the fault-free S3 run failed:\n${tail(clean)}`);
    proxy.setFaults({ writeFraction: 0.1, cutFraction: 0.02, seed: 20261203 });
    const faultyRoot = `s3://${bucket}/faulty`;
    const faulty = await s3Run(faultyRoot);
    proxy.setFaults(undefined);
    const injected = proxy.counts.slowDown + proxy.counts.cut;
    ctx.log(
      `S3: ${proxy.counts.slowDown} writes answered 503 and ${proxy.counts.cut} connections cut, of ` +
        `${proxy.counts.requests} requests; faulty run exit ${faulty.code}`,
    );
    // Read back straight from moto (no faults) with the client API.
    process.env.METAFLOW_S3_ENDPOINT_URL = moto.url;
    Object.assign(process.env, AWS_ENV);
    const want = await snapshot(client, { kind: 's3', root: cleanRoot }, runIdOf(clean));
    const got = await snapshot(client, { kind: 's3', root: faultyRoot }, runIdOf(faulty));
    const { misreported, inconsistent } = compare(want, got, faulty);
    ctx.log(`S3: ${misreported} tasks misreported, ${inconsistent} records inconsistent`);
    return { injected, misreported, inconsistent, cleanMs: clean.durationMs, faultyMs: faulty.durationMs };
  } finally {
    await proxy.close();
    await moto.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// 2. The runtime SIGKILLed at random moments, then resumed

/** Where the kill scenario runs: the local datastore with local tasks. */
function localTarget(ctx) {
  return {
    width: KILL_WIDTH,
    kills: KILLS,
    env: {},
    newRoot: () => ({
      args: ['--datastore-root', ctx.tempDir()],
      spec: (a) => ({ kind: 'local', root: a[1] }),
    }),
    extra: [],
    leftovers: settleLocal,
  };
}

/** The kill scenario on @batch, on a local stand-in of its own. */
async function batchRuntimeKills(ctx, client) {
  const aws = await startLocalAws({ logDir: ctx.tempDir(), install: false, log: (l) => ctx.log(l) });
  try {
    return await runtimeKills(ctx, client, batchTarget(aws.settings));
  } finally {
    await aws.stop();
  }
}

/** Where the @batch kill scenario runs: the local stand-in (moto + real containers), every step on Batch. */
function batchTarget(s) {
  let n = 0;
  return {
    width: BATCH_WIDTH,
    kills: BATCH_KILLS,
    env: {
      ...AWS_ENV,
      AWS_REGION: s.region,
      AWS_DEFAULT_REGION: s.region,
      AWS_ENDPOINT_URL: s.endpoint,
      METAFLOW_S3_ENDPOINT_URL: s.endpoint,
      METAFLOW_BATCH_JOB_QUEUE: s.queue,
      METAFLOW_BATCH_CONTAINER_IMAGE: s.image,
      STEPFLOW_BATCH_POLL_MS: '1000',
    },
    newRoot: () => {
      const root = `s3://${s.bucket}/bench-faults-${process.pid}-${n++}`;
      return { args: ['--datastore', 's3', '--datastore-root', root], spec: () => ({ kind: 's3', root }) };
    },
    extra: ['--with', 'batch:memory=256'],
    leftovers(ctx, root, runId, read) {
      return settleBatch(ctx, root, runId, read, this.env);
    },
  };
}

async function runtimeKills(ctx, client, target) {
  const width = ['--width', String(target.width), '--max-num-splits', String(target.width)];
  Object.assign(process.env, target.env);
  const cleanRoot = target.newRoot();
  const clean = await cli(ctx, ['run', FLOW, ...cleanRoot.args, ...target.extra, ...width], target.env);
  if (clean.code !== 0) throw new Error(`the fault-free run failed:\n${tail(clean)}`);
  const want = await snapshot(client, cleanRoot.spec(cleanRoot.args), runIdOf(clean));
  const rand = seeded(7);
  const totals = {
    width: target.width,
    kills: 0,
    unnamed: 0,
    complete: 0,
    cloned: 0,
    missed: 0,
    leftover: 0,
    misreported: 0,
    inconsistent: 0,
    faultyMs: 0,
    cleanMs: 0,
  };
  for (let k = 0; k < target.kills; k++) {
    const root = target.newRoot();
    const spec = root.spec(root.args);
    const delayMs = rand() * clean.durationMs * 0.85;
    const args = ['run', FLOW, ...root.args, ...target.extra, ...width];
    const killed = await runAndKill(ctx, args, target.env, delayMs);
    totals.kills++;
    const at =
      `kill ${k + 1}, ${Math.round(delayMs)} ms after start` +
      (killed.namedMs === undefined ? '' : ` (named at ${Math.round(killed.namedMs)} ms)`);
    const runId = killed.runId;
    if (!runId) {
      // Killed before the run was named: it has no run.json (the id is printed only once it exists), so
      // there is nothing to resume. The user starts the run again: that fresh run must match.
      totals.unnamed++;
      const fresh = await cli(ctx, args, target.env);
      const diff =
        fresh.code === 0 ? compare(want, await snapshot(client, spec, runIdOf(fresh)), fresh) : undefined;
      totals.misreported += diff?.misreported ?? 0;
      totals.inconsistent += diff?.inconsistent ?? want.tasks.size;
      ctx.log(
        `${at}: killed before the run was named (no run record, nothing ` +
          `to resume): started a fresh run instead, exit ${fresh.code}, ${diff?.inconsistent ?? 'all'} differences`,
      );
      continue;
    }
    // Resume at once: tasks (local processes, @batch jobs) the killed runtime left running may still
    // finish and write records into the killed run while resume reads it.
    const killedAt = performance.now();
    const before = await snapshot(client, spec, runId).catch(() => undefined);
    const completeBefore = before ? [...before.tasks.values()].filter((t) => t.ok).length : 0;
    const resumeArgs = ['resume', FLOW, ...root.args, ...target.extra, '--origin-run-id', runId];
    const resumed = await cli(ctx, resumeArgs, target.env);
    // Then let the leftovers end, and read the killed run as they left it.
    const leftover = await target.leftovers(ctx, root, runId, () => snapshot(client, spec, runId));
    const quietS = Math.round((performance.now() - killedAt) / 1000);
    const origin = await snapshot(client, spec, runId).catch(() => undefined);
    const completeAfter = origin ? [...origin.tasks.values()].filter((t) => t.ok).length : 0;
    totals.leftover += leftover;
    if (resumed.code !== 0) {
      totals.inconsistent++;
      ctx.log(`${at}: resume failed (exit ${resumed.code}):\n${tail(resumed)}`);
      continue;
    }
    const after = await snapshot(client, spec, runIdOf(resumed));
    const cloned = [...after.tasks.values()].filter((t) => t.clonedFrom).length;
    const diff = compare(want, after, resumed);
    // A record of the killed run read as complete must hold the fault-free result.
    const partial = origin
      ? [...origin.tasks].filter(([key, t]) => t.ok && want.tasks.get(key)?.data !== t.data).length
      : 0;
    totals.complete += completeAfter;
    totals.cloned += cloned;
    totals.missed += Math.max(0, completeBefore - cloned);
    totals.misreported += diff.misreported;
    totals.faultyMs += killed.durationMs + resumed.durationMs;
    totals.cleanMs += clean.durationMs;
    // A partial record reused shows up as a difference; reusing more tasks than were ever complete is one too.
    totals.inconsistent += diff.inconsistent + partial + Math.max(0, cloned - completeAfter);
    ctx.log(
      `${at}: ${completeBefore} complete tasks when resumed (${completeAfter} once the leftovers ended, ` +
        `${leftover} still running ${quietS} s after the kill), resume cloned ${cloned}, ${diff.inconsistent} differences, ` +
        `${partial} bad records in the killed run`,
    );
  }
  return totals;
}

/** Local leftovers (task processes of the killed runtime): wait until the killed run's records stop changing. */
async function settleLocal(_ctx, _root, _runId, read) {
  await settle(() => read().catch(() => undefined));
  return 0;
}

/**
 * @batch leftovers: wait (at most 5 minutes) until `stepflow batch list` finds no unfinished job of the killed
 * run on the stand-in, then until its records stop changing. Returns the jobs still unfinished.
 */
async function settleBatch(ctx, root, runId, read, env) {
  const deadline = Date.now() + 5 * 60_000;
  let unfinished = 0;
  for (;;) {
    const list = await cli(ctx, ['batch', 'list', FLOW, ...root.args, '--run-id', runId], env);
    unfinished = list.stdout.split('\n').filter((l) => / job \S+ [A-Z]+ \(queue /.test(l)).length;
    if (list.code !== 0) ctx.log(`stepflow batch list failed (exit ${list.code}):\n${tail(list)}`);
    if (unfinished === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 3000));
  }
  await settle(() => read().catch(() => undefined));
  return unfinished;
}

/**
 * Starts `stepflow ...args` and SIGKILLs the runtime (only it: its tasks live on) `delayMs` after it was
 * started; resolves the run id if it was printed (the run was named: its run.json exists) and when.
 */
function runAndKill(ctx, args, env, delayMs) {
  return new Promise((resolve) => {
    const child = spawn(ctx.node, [path.join(ctx.root, 'bin', 'stepflow.mjs'), ...args], {
      cwd: ctx.root,
      env: hostNodeEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = performance.now();
    let out = '';
    let namedMs;
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      if (namedMs === undefined && out.includes(`${FLOW_NAME}/`)) namedMs = performance.now() - started;
    });
    child.stderr.resume();
    child.on('close', () => {
      clearTimeout(timer);
      const m = new RegExp(`^${FLOW_NAME}/(\\S+)\\s*$`, 'm').exec(out);
      resolve({ runId: m?.[1], namedMs, out, durationMs: performance.now() - started });
    });
  });
}

/** Waits until what `read` sees of a run stops changing (3 s apart), for at most 3 minutes. */
async function settle(read) {
  let last = await read();
  for (let i = 0; i < 60; i++) {
    await new Promise((r) => setTimeout(r, 3000));
    const now = await read();
    if (signature(now) === signature(last)) return now;
    last = now;
  }
  return last;
}

function signature(snap) {
  if (!snap) return '';
  return [...snap.tasks.entries()]
    .map(([k, t]) => `${k}:${t.ok}`)
    .sort()
    .join(',');
}

// ---------------------------------------------------------------------------------------------------
// 3. Concurrent runs

async function concurrentRuns(ctx, client) {
  const root = ctx.tempDir();
  const alone = await cli(ctx, ['run', FLOW, '--datastore-root', ctx.tempDir(), '--width', '3']);
  if (alone.code !== 0) throw new Error(`the fault-free run failed:\n${tail(alone)}`);
  const runs = await Promise.all(
    Array.from({ length: CONCURRENT }, () =>
      cli(ctx, ['run', FLOW, '--datastore-root', root, '--width', '3']),
    ),
  );
  const ids = runs.map((r) => runIdOf(r, false)).filter(Boolean);
  const distinct = new Set(ids);
  let incomplete = runs.filter((r) => r.code !== 0).length;
  for (const id of distinct) {
    const snap = await snapshot(client, { kind: 'local', root }, id).catch(() => undefined);
    // A complete run of width 3: start, 3 work tasks, join, end — no more (merged runs have more).
    if (snap?.tasks.size !== 6 || [...snap.tasks.values()].some((t) => !t.ok)) {
      incomplete++;
    }
  }
  const merged = CONCURRENT - distinct.size;
  ctx.log(`concurrent: ${CONCURRENT} runs, ${distinct.size} distinct ids, ${incomplete} incomplete`);
  const slowestMs = Math.max(...runs.map((r) => r.durationMs));
  return { merged, incomplete, slowestMs, aloneMs: alone.durationMs };
}

// ---------------------------------------------------------------------------------------------------
// Reading and comparing runs

/**
 * A run as the client API reads it: per task (keyed `step#foreachIndex`), whether it succeeded, what it
 * was cloned from, and its artifacts as `stepflow dump --json` prints them.
 */
async function snapshot(client, datastore, runId) {
  const flow = new client.Flow(FLOW_NAME, { datastore, namespace: null });
  const run = await flow.run(runId);
  const tasks = new Map();
  for (const step of await run.steps()) {
    for (const task of await step.tasks()) {
      const key = `${step.name}#${task.index ?? ''}`;
      let data;
      try {
        data = task.successful ? comparable(client, await task.data()) : undefined;
      } catch (err) {
        data = `unreadable: ${err.message}`;
      }
      tasks.set(key, { ok: task.successful, clonedFrom: task.clonedFrom, data, pathspec: task.pathspec });
    }
  }
  return { runId, successful: run.successful, tasks };
}

/** The task as `stepflow dump --json` prints it: every artifact, in tagged JSON (typed arrays in full). */
function comparable(client, data) {
  return JSON.stringify(
    Object.fromEntries(Object.entries(data).map(([k, v]) => [k, client.toTaggedJson(v)])),
  );
}

/**
 * misreported: a task reported failed whose record says it succeeded, or a run reported successful with a
 * task that did not; inconsistent: a task missing, unreadable or different from the fault-free run's.
 */
function compare(want, got, result) {
  let misreported = 0;
  let inconsistent = 0;
  const reportedFailed = new Set(
    `${result.stdout}\n${result.stderr}`
      .split('\n')
      .filter((l) => /fail/i.test(l))
      .flatMap((l) => l.match(new RegExp(`${FLOW_NAME}/\\d+/[a-z]+/\\d+`, 'g')) ?? []),
  );
  for (const t of got.tasks.values()) {
    if (result.code === 0 && !t.ok) misreported++;
    if (reportedFailed.has(t.pathspec) && t.ok) misreported++;
  }
  for (const [key, w] of want.tasks) {
    const t = got.tasks.get(key);
    if (!t?.ok || t.data !== w.data) inconsistent++;
  }
  return { misreported, inconsistent };
}

// ---------------------------------------------------------------------------------------------------

function cli(ctx, args, env = {}) {
  return runCommand(ctx.node, [path.join(ctx.root, 'bin', 'stepflow.mjs'), ...args], {
    cwd: ctx.root,
    env: hostNodeEnv(env),
    stdio: 'capture',
    timeoutMs: TIMEOUT_MS,
  });
}

function runIdOf(result, required = true) {
  const m = new RegExp(`^${FLOW_NAME}/(\\S+)\\s*$`, 'm').exec(result.stdout);
  if (!m && required) throw new Error(`no ${FLOW_NAME}/<runId> line in the output:\n${tail(result)}`);
  return m?.[1];
}

function tail(result) {
  return `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15).join('\n');
}
