/**
 * s3-datastore: the artifacts benchmark on the S3 datastore. `bench/flows/artifacts-flow.ts` saves a
 * 256 MiB Float64Array in `start` and loads it in `read`, once on the local datastore and once with
 * `--datastore s3` against a moto server this benchmark starts on a free loopback port; the S3 save
 * and load MB/s are shown against the local figures of the same run.
 *
 * moto is a Python process on the same 2-core machine, so the S3 figures measure the backend's own
 * overhead (SDK, multipart, worker-thread reads) plus moto's, not what AWS S3 would give.
 *
 * @module
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeExit, hostNodeEnv, runCommand } from '../scripts/lib/proc.mjs';
import { findDoneRecord, metric, readRunId } from './lib/done-records.mjs';
import { mbPerSecond } from './lib/measure.mjs';
import { createBucket, MOTO_CREDENTIALS, requireMoto, s3Env, startBenchMoto } from './lib/moto-s3.mjs';

/** The benchmark's name (`npm run bench -- s3-datastore`). */
export const name = 's3-datastore';

/** Where it comes in a full run (after the local artifacts benchmark). */
export const order = 35;

/** One line on what it measures. */
export const description =
  'artifacts benchmark (256 MiB save/load MB/s) on S3 (moto) vs. the local datastore';

const FLOW = 'bench/flows/artifacts-flow.ts';
const FLOW_NAME = 'ArtifactsFlow';
const TIMEOUT_MS = 10 * 60_000;

/**
 * Run the flow on the local datastore, start moto, run it on S3, and compare the done records' figures.
 *
 * @example
 * ```js
 * const rows = await run(ctx);
 * ```
 */
export async function run(ctx) {
  ctx.checkCli();
  requireMoto();
  const local = await localRates(ctx);
  ctx.log(`local: save ${local.save.toFixed(0)} MB/s, load ${local.load.toFixed(0)} MB/s`);
  const moto = await startBenchMoto(ctx);
  try {
    const s3 = await s3Rates(ctx, moto.url);
    ctx.log(`s3 (moto): save ${s3.save.toFixed(0)} MB/s, load ${s3.load.toFixed(0)} MB/s`);
    return [
      {
        metric: 'save (start), S3',
        value: s3.save,
        unit: 'MB/s',
        baseline: { label: 'local datastore, same run', value: local.save },
      },
      {
        metric: 'load (read), S3',
        value: s3.load,
        unit: 'MB/s',
        baseline: { label: 'local datastore, same run', value: local.load },
      },
    ];
  } finally {
    await moto.stop();
  }
}

/** The flow on a local datastore root: `{ save, load }` in MB/s from the done records. */
async function localRates(ctx) {
  const root = ctx.tempDir();
  const runIdFile = path.join(ctx.tempDir(), 'run-id');
  const { stdout } = await ctx.runCli(['run', FLOW, '--datastore-root', root, '--run-id-file', runIdFile], {
    timeoutMs: TIMEOUT_MS,
  });
  const runId = readRunId(runIdFile, stdout, FLOW_NAME);
  return rates(
    findDoneRecord(root, FLOW_NAME, runId, 'start'),
    findDoneRecord(root, FLOW_NAME, runId, 'read'),
  );
}

/** The flow with `--datastore s3` on a fresh bucket of the moto server at `endpoint`. */
async function s3Rates(ctx, endpoint) {
  const bucket = `stepflow-bench-${process.pid}`;
  await createBucket(endpoint, bucket);
  const root = `s3://${bucket}/runs`;
  const runIdFile = path.join(ctx.tempDir(), 'run-id');
  const args = ['run', FLOW, '--datastore', 's3', '--datastore-root', root, '--run-id-file', runIdFile];
  const env = s3Env(endpoint);
  const cli = path.join(ctx.root, 'bin', 'stepflow.mjs');
  const r = await runCommand(ctx.node, [cli, ...args], {
    cwd: ctx.root,
    env: hostNodeEnv(env),
    stdio: 'capture',
    timeoutMs: TIMEOUT_MS,
  });
  if (r.code !== 0) {
    const last = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-20).join('\n    ');
    throw new Error(
      `\`stepflow ${args.join(' ')}\` ${describeExit(r, TIMEOUT_MS)}. Its last output:\n    ${last}`,
    );
  }
  const runId = readRunId(runIdFile, r.stdout, FLOW_NAME);
  const saved = await s3DoneRecord(ctx.root, root, endpoint, runId, 'start');
  const loaded = await s3DoneRecord(ctx.root, root, endpoint, runId, 'read');
  return rates(saved, loaded);
}

/** The latest done record of a step's single task, read through the built S3 backend. */
async function s3DoneRecord(repo, root, endpoint, runId, step) {
  const dist = (file) => pathToFileURL(path.join(repo, 'dist', 'datastore', file)).href;
  const { S3Storage } = await import(dist('s3/s3-storage.js'));
  const { FlowDatastore } = await import(dist('flow-datastore.js'));
  const storage = new S3Storage(root, {
    endpoint,
    credentials: MOTO_CREDENTIALS,
  });
  try {
    const fds = new FlowDatastore(storage, FLOW_NAME);
    const [taskId] = await fds.listTasks(runId, step);
    if (taskId === undefined) throw new Error(`no task of step "${step}" in ${root}/${FLOW_NAME}/${runId}`);
    const td = fds.task(runId, step, taskId);
    const attempt = await td.latestDoneAttempt();
    const record = attempt === undefined ? undefined : await td.readDone(attempt);
    if (!record) throw new Error(`no done record for ${FLOW_NAME}/${runId}/${step}/${taskId} in ${root}`);
    return { file: storage.url(`${FLOW_NAME}/${runId}/${step}/${taskId}/${attempt}.done.json`), record };
  } finally {
    storage.close();
  }
}

function rates(saved, loaded) {
  return {
    save: mbPerSecond(metric(saved, 'artifactSaveBytes'), metric(saved, 'artifactSaveMs')),
    load: mbPerSecond(metric(loaded, 'artifactLoadBytes'), metric(loaded, 'artifactLoadMs')),
  };
}
