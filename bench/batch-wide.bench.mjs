/**
 * batch-wide: a 10,000-way `@batch` foreach (`--width N` for quick runs) of no-op tasks as AWS Batch ARRAY
 * jobs, beside the same run with arrays off (`STEPFLOW_BATCH_ARRAYS=0`: one plain job per task), on a moto
 * server of its own in SIMPLE mode behind the fault-injecting stand-in (scripts/lib/batch-fault-proxy.mjs)
 * in runner mode. No faults are injected: the stand-in models AWS's arrays (moto's differ, local-aws.md §7)
 * and runs every job or array child IN-PROCESS as a no-op task (test/support/noop-batch-runner.ts: the child
 * finds its task in the array manifest, or a plain job's in its command, and writes the records of a
 * successful attempt through the real S3 datastore on moto). `start`, the join and `end` are real local tasks.
 *
 * Reported, for each half: SubmitJob calls; Batch tracking calls (DescribeJobs + ListJobs) per poll cycle,
 * max and mean, beside 1 + ⌈changed children / 100⌉ of the same cycle; the time from the foreach step's end
 * (`start`'s done record) to the join's start (its attempt record) beyond the children's own run time (first
 * child RUNNING → last child ended, as the stand-in saw them); the join's time to read `item` from each input
 * (printed by its body; and the join task's whole attempt from its records) beside `aws s3 cp --recursive`
 * of the flow's artifact objects from moto (the same objects, plus the few other artifacts of the flow); the
 * runtime's peak RSS (VmHWM, bench/lib/proc-io.mjs). If the array launcher has not landed in dist/ yet, only
 * the plain-jobs half runs.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { createBatchResources } from '../scripts/aws-local.mjs';
import { startFaultProxy } from '../scripts/lib/batch-fault-proxy.mjs';
import { hostNodeEnv, runCommand } from '../scripts/lib/proc.mjs';
import { cycleFigures, hasArrayLauncher, lastLines } from './lib/batch-wide.mjs';
import { readRunId } from './lib/done-records.mjs';
import { MOTO_AWS_ENV, MOTO_CREDENTIALS, requireMoto, startBenchMoto } from './lib/moto-s3.mjs';
import { startS3Counter } from './lib/s3-counter.mjs';

/** The benchmark's name (`npm run bench -- batch-wide`). */
export const name = 'batch-wide';

/** Where it comes in a full run. */
export const order = 62;

/** One line on what it measures. */
export const description =
  '10,000-way @batch foreach of no-op tasks as array jobs vs. plain jobs (STEPFLOW_BATCH_ARRAYS=0), moto simple mode + job-runner stand-in';

const FLOW = 'test/e2e/batch/flows/array-flow.ts';
const FLOW_NAME = 'ArrayBatchFlow';
const POLL_MS = 1000;
const CONCURRENCY = 32;
const TIMEOUT_MS = 40 * 60_000;
const BUCKETS = { arrays: 'bench-wide-arrays', plain: 'bench-wide-plain' };
const QUEUE = 'bench-wide-queue';
const MiB = 1024 * 1024;

/** Runs the CLI with the peak-RSS preload; resolves its exit, output and pid. */
function runCli(ctx, args, env) {
  return new Promise((resolve) => {
    const child = spawn(ctx.node, [path.join(ctx.root, 'bin', 'stepflow.mjs'), ...args], {
      cwd: ctx.root,
      env: hostNodeEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, pid: child.pid });
    });
  });
}

/** One run of the wide flow (arrays on or off) through a fresh stand-in; resolves its figures. */
async function oneRun(ctx, moto, lib, { width, arrays }) {
  const label = arrays ? 'arrays' : 'plain jobs';
  // A bucket per half: moto scans every key of a bucket on each list.
  const root = `s3://${arrays ? BUCKETS.arrays : BUCKETS.plain}/runs`;
  const storage = new lib.S3Storage(root, { endpoint: moto.url, credentials: lib.credentials });
  const proxy = await startFaultProxy({
    target: moto.url,
    runner: { concurrency: CONCURRENCY, child: lib.noopChildRunner({ storage, inputName: 'item' }) },
  });
  // The runtime's S3 requests (not the stand-in's children's) pass through a counter.
  const s3 = await startS3Counter(moto.url);
  try {
    const ioDir = ctx.tempDir();
    const runIdFile = path.join(ctx.tempDir(), 'run-id');
    const env = {
      ...MOTO_AWS_ENV,
      AWS_ENDPOINT_URL: proxy.url,
      METAFLOW_S3_ENDPOINT_URL: s3.url,
      METAFLOW_BATCH_JOB_QUEUE: QUEUE,
      METAFLOW_BATCH_CONTAINER_IMAGE: 'node:20',
      STEPFLOW_BATCH_POLL_MS: String(POLL_MS),
      STEPFLOW_BATCH_ARRAYS: arrays ? '1' : '0',
      STEPFLOW_BENCH_IO_DIR: ioDir,
      NODE_OPTIONS: `--import=${pathToFileURL(path.join(ctx.root, 'bench', 'lib', 'proc-io.mjs')).href}`,
    };
    const args = ['run', FLOW, '--datastore', 's3', '--datastore-root', root, '--run-id-file', runIdFile];
    args.push('--width', String(width), '--max-num-splits', String(width), '--max-workers', String(width));
    const started = performance.now();
    const r = await runCli(ctx, args, env);
    const seconds = (performance.now() - started) / 1000;
    const logFile = path.join(ctx.root, 'bench', 'results', `batch-wide-${arrays ? 'arrays' : 'plain'}.log`);
    mkdirSync(path.dirname(logFile), { recursive: true });
    writeFileSync(logFile, r.out);
    ctx.log(`${label}: the run's output is in ${path.relative(ctx.root, logFile)}`);
    if (r.code !== 0) {
      throw new Error(
        `${label}: the run exited ${r.code ?? r.signal} after ${seconds.toFixed(0)} s:\n${lastLines(r.out, 25)}`,
      );
    }
    const runId = readRunId(runIdFile, r.out, FLOW_NAME);
    const fds = new lib.FlowDatastore(storage, FLOW_NAME);
    const startDone = await fds.task(runId, 'start', '1').readDone(0);
    const [joinTask] = await fds.listTasks(runId, 'join');
    const join = fds.task(runId, 'join', joinTask);
    const joinAttempt = (await join.latestDoneAttempt()) ?? 0;
    const joinStart = await join.readAttemptStart(joinAttempt);
    const joinDone = await join.readDone(joinAttempt);
    const children = proxy.stateChanges;
    const origin = performance.timeOrigin;
    const firstRun = children.find((c) => c.status === 'RUNNING');
    const lastEnd = children.findLast((c) => c.status === 'SUCCEEDED' || c.status === 'FAILED');
    const childrenMs = lastEnd && firstRun ? lastEnd.at - firstRun.at : 0;
    const gapMs = Date.parse(joinStart.startedAt) - Date.parse(startDone.endedAt);
    const read = /join read (\d+) items in ([\d.]+) ms; in order: (\w+)/.exec(r.out);
    if (!read || Number(read[1]) !== width || read[3] !== 'true') {
      throw new Error(`${label}: the join did not read ${width} items in order:\n${lastLines(r.out, 10)}`);
    }
    const rss = JSON.parse(readFileSync(path.join(ioDir, `${r.pid}.json`), 'utf8')).peakRssBytes;
    const cycles = cycleFigures(proxy.calls, children, POLL_MS, {
      from: Date.parse(startDone.endedAt) - origin,
      to: Date.parse(joinStart.startedAt) - origin,
    });
    const figures = {
      seconds,
      submit: proxy.counts.SubmitJob ?? 0,
      cycles,
      overheadS: (gapMs - childrenMs) / 1000,
      gapS: gapMs / 1000,
      childrenS: childrenMs / 1000,
      joinBodyMs: Number(read[2]),
      joinTaskMs: Date.parse(joinDone.endedAt) - Date.parse(joinStart.startedAt),
      rssMiB: rss / MiB,
      counts: { ...proxy.counts },
      statuses: proxy.jobStatuses(),
      s3: { ...s3.counts },
      s3PerChild: perChild(s3.counts, width),
    };
    ctx.log(
      `${label}: ${seconds.toFixed(1)} s; SubmitJob ${figures.submit}; jobs/children by status ${JSON.stringify(figures.statuses)}; ` +
        `calls ${JSON.stringify(figures.counts)}`,
    );
    ctx.log(
      `${label}: ${cycles.count} poll cycles; tracking calls per cycle max ${cycles.max}, mean ${cycles.mean.toFixed(2)}; ` +
        `1 + ⌈changed/100⌉ max ${cycles.boundMax}, mean ${cycles.boundMean.toFixed(2)}; cycles above it ${cycles.above}; ` +
        `total ${cycles.total} vs cycles + ⌈all changed/100⌉ ${cycles.boundTotal}`,
    );
    ctx.log(
      `${label}: foreach end → join start ${figures.gapS.toFixed(1)} s, children's own run ${figures.childrenS.toFixed(1)} s ` +
        `(overhead ${figures.overheadS.toFixed(1)} s); join body read ${figures.joinBodyMs.toFixed(0)} ms, join task ` +
        `${figures.joinTaskMs} ms; runtime peak RSS ${figures.rssMiB.toFixed(0)} MiB`,
    );
    ctx.log(
      `${label}: runtime S3 requests per child ${figures.s3PerChild.toFixed(2)} (batch.json, log segments, logs.json, ` +
        `done.json); all runtime S3 requests ${JSON.stringify(figures.s3)}`,
    );
    return figures;
  } finally {
    await proxy.close();
    await s3.close();
  }
}

/** The runtime's S3 requests on the per-task records (batch.json, log segments, logs.json, done.json) per child. */
function perChild(counts, width) {
  let n = 0;
  for (const [name, count] of Object.entries(counts)) if (!name.endsWith(' other')) n += count;
  return n / width;
}

/** `aws s3 cp --recursive` of the flow's artifact objects from moto; resolves ms and the object count. */
async function awsCopy(ctx, moto, lib, bucket) {
  const storage = new lib.S3Storage(`s3://${bucket}/runs`, {
    endpoint: moto.url,
    credentials: lib.credentials,
  });
  const objects = (await storage.list(`${FLOW_NAME}/data/`, { recursive: true })).length;
  const dest = ctx.tempDir();
  const r = await runCommand(
    'aws',
    [
      '--endpoint-url',
      moto.url,
      's3',
      'cp',
      '--recursive',
      '--quiet',
      `s3://${bucket}/runs/${FLOW_NAME}/data/`,
      dest,
    ],
    { env: { ...process.env, ...MOTO_AWS_ENV }, stdio: 'capture', timeoutMs: 10 * 60_000 },
  );
  if (r.code !== 0) throw new Error(`aws s3 cp failed: ${r.stderr.slice(-2000)}`);
  const copied = readdirSync(dest, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length;
  return { ms: r.durationMs, objects, copied };
}

/**
 * Runs the wide flow with arrays (when the launcher has them) and with plain jobs, then the CLI copy.
 *
 * @example
 * ```js
 * const rows = await run(ctx); // npm run bench -- batch-wide --width 1000
 * ```
 */
export async function run(ctx) {
  ctx.checkCli();
  requireMoto();
  const width = ctx.options?.width ?? 10_000;
  const lib = {
    ...(await tsImport('../test/support/noop-batch-runner.ts', import.meta.url)),
    ...(await tsImport('../src/datastore/s3/s3-storage.ts', import.meta.url)),
    ...(await tsImport('../src/datastore/flow-datastore.ts', import.meta.url)),
    credentials: MOTO_CREDENTIALS,
  };
  const moto = await startBenchMoto(ctx, { simpleBatch: true });
  try {
    for (const bucket of Object.values(BUCKETS)) {
      await createBatchResources(moto.url, {
        bucket,
        queue: QUEUE,
        computeEnvironment: 'bench-wide-ce',
        role: 'bench-wide-role',
        region: 'us-east-1',
      });
    }
    const arraysLanded = hasArrayLauncher(ctx.root);
    if (!arraysLanded)
      ctx.log('the array launcher is not in dist/ yet (no STEPFLOW_BATCH_ARRAYS): plain jobs only');
    const arrays = arraysLanded ? await oneRun(ctx, moto, lib, { width, arrays: true }) : undefined;
    let plain;
    let plainFailed = false;
    try {
      plain = await oneRun(ctx, moto, lib, { width, arrays: false });
    } catch (err) {
      if (!arrays) throw err;
      // The arrays' figures stand without their baseline (a 10,000-wide run takes long to redo).
      plainFailed = true;
      ctx.log(`the plain-jobs baseline failed: ${lastLines(String(err?.message ?? err), 4)}`);
    }
    const copy = await awsCopy(ctx, moto, lib, plain ? BUCKETS.plain : BUCKETS.arrays);
    ctx.log(
      `aws s3 cp --recursive: ${copy.objects} objects (${copy.copied} files) in ${copy.ms.toFixed(0)} ms`,
    );
    const subject = arrays ?? plain;
    const subjectLabel = arrays ? 'arrays' : 'plain jobs (arrays not landed)';
    const baselinePlain = (label, value) => (arrays && plain ? { baseline: { label, value } } : {});
    return [
      {
        metric: `SubmitJob calls, ${width}-way foreach, ${subjectLabel}`,
        value: subject.submit,
        unit: 'calls',
        ...baselinePlain('plain jobs (STEPFLOW_BATCH_ARRAYS=0)', plain?.submit),
        ...(arrays ? { target: { max: 2 } } : {}),
        lowerIsBetter: true,
      },
      {
        metric: `Batch tracking calls per poll cycle (max), ${subjectLabel}`,
        value: subject.cycles.max,
        unit: 'calls',
        baseline: { label: '1 + ⌈changed/100⌉ (max over cycles)', value: subject.cycles.boundMax },
        lowerIsBetter: true,
      },
      {
        metric: `Batch tracking calls per poll cycle (mean), ${subjectLabel}`,
        value: subject.cycles.mean,
        unit: 'calls',
        baseline: { label: '1 + ⌈changed/100⌉ (mean over cycles)', value: subject.cycles.boundMean },
        lowerIsBetter: true,
      },
      {
        metric: `Batch tracking calls over the foreach (total), ${subjectLabel}`,
        value: subject.cycles.total,
        unit: 'calls',
        baseline: { label: 'poll cycles + ⌈changed children / 100⌉', value: subject.cycles.boundTotal },
        lowerIsBetter: true,
      },
      ...(arrays && plain
        ? [
            {
              metric: 'Batch tracking calls per poll cycle (max), plain jobs',
              value: plain.cycles.max,
              unit: 'calls',
              baseline: { label: '1 + ⌈changed/100⌉ (max over cycles)', value: plain.cycles.boundMax },
              lowerIsBetter: true,
            },
          ]
        : []),
      {
        metric: `foreach end → join start beyond the children's run time, ${subjectLabel}`,
        value: subject.overheadS,
        unit: 's',
        ...baselinePlain('plain jobs', plain?.overheadS),
        target: { max: 60 },
        lowerIsBetter: true,
      },
      {
        metric: `join: read item of ${width} inputs (join task's attempt), ${subjectLabel}`,
        value: subject.joinTaskMs,
        unit: 'ms',
        baseline: { label: `aws s3 cp --recursive of ${copy.objects} artifact objects`, value: copy.ms },
        target: { max: 1.5 * copy.ms },
        lowerIsBetter: true,
      },
      {
        metric: `runtime peak RSS, ${subjectLabel}`,
        value: subject.rssMiB,
        unit: 'MiB',
        ...baselinePlain('plain jobs', plain?.rssMiB),
        target: { max: 1024 },
        lowerIsBetter: true,
      },
      {
        metric: `runtime S3 requests per child (batch.json, logs, done.json), ${subjectLabel}`,
        value: subject.s3PerChild,
        unit: 'requests',
        ...baselinePlain('plain jobs', plain?.s3PerChild),
        lowerIsBetter: true,
      },
      ...(plainFailed
        ? [
            {
              metric: 'plain-jobs baseline run (failed: see above)',
              value: 1,
              unit: 'failed runs',
              lowerIsBetter: true,
            },
          ]
        : []),
    ];
  } finally {
    await moto.stop();
  }
}
