#!/usr/bin/env node
/**
 * `npm run aws:local`: the local stand-in for AWS Batch, S3 and CloudWatch Logs, on loopback only.
 *
 * Starts (or reuses) a Docker daemon with the safe no-bridge flags, builds the node-only job image, serves
 * the job credentials endpoint, starts moto on a free port, creates an IAM role, the `stepflow-local`
 * bucket, an unmanaged compute environment and the `stepflow-local` job queue, prints the settings to
 * export, and runs until Ctrl-C, when it stops exactly what it started. Tests and CI use
 * {@link startLocalAws} (scripts/test.mjs starts it for batch tests).
 *
 * moto runs each job as a real container from the image (network mode host, so the job reaches moto and
 * the credentials endpoint on 127.0.0.1). Its fidelity gaps are listed in shared/reference/local-aws.md.
 * Two stand-ins may share one Docker daemon and the image's fixed credentials port: on stop, each removes
 * only the job containers of its own moto (their `MOTO_PORT`), and one that shares another's credentials
 * endpoint takes the port over if that one stops first, so neither breaks the other's running jobs.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CREDS_PATH, startCredsServer } from './lib/creds-server.mjs';
import { ensureDocker } from './lib/docker.mjs';
import { motoAvailable, pythonCommand, startMoto } from './lib/moto.mjs';
import {
  DEFAULT_IMAGE_TAG,
  ensureNodeImage,
  LOCAL_REGION,
  pickCredsPort,
  removeJobContainers,
} from './lib/node-image.mjs';

/** Names of what the stand-in creates. */
export const LOCAL_NAMES = Object.freeze({
  bucket: 'stepflow-local',
  queue: 'stepflow-local',
  computeEnvironment: 'stepflow-local',
  role: 'stepflow-local-batch-service',
});

const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** A query-API call to moto (which checks no signatures, but routes by the credential scope). */
async function queryApi(endpoint, service, region, params) {
  const scope = `test/20260101/${region}/${service}/aws4_request`;
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
    },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, text: await res.text() };
}

/** Creates (or finds) the IAM role Batch compute environments need in moto; returns its ARN. */
async function ensureRole(endpoint, region, name) {
  const trust = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'batch.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  };
  const base = { Version: '2010-05-08', RoleName: name };
  let r = await queryApi(endpoint, 'iam', region, {
    ...base,
    Action: 'CreateRole',
    AssumeRolePolicyDocument: JSON.stringify(trust),
  });
  if (r.status !== 200 && r.text.includes('EntityAlreadyExists')) {
    r = await queryApi(endpoint, 'iam', region, { ...base, Action: 'GetRole' });
  }
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(r.text)?.[1];
  if (r.status !== 200 || !arn)
    throw new Error(`IAM role ${name} on ${endpoint}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  return arn;
}

async function ensureBucket(endpoint, bucket) {
  const res = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
  const text = await res.text();
  if (!res.ok && !text.includes('BucketAlreadyOwnedByYou')) {
    throw new Error(`bucket ${bucket} on ${endpoint}: HTTP ${res.status} ${text.slice(0, 300)}`);
  }
}

/**
 * Creates, unless they exist, the IAM service role, the bucket, an UNMANAGED compute environment and a job
 * queue on a moto server. Idempotent.
 *
 * @example
 * ```js
 * await createBatchResources('http://127.0.0.1:5000', { ...LOCAL_NAMES, region: 'us-east-1' });
 * ```
 */
export async function createBatchResources(endpoint, { bucket, queue, computeEnvironment, role, region }) {
  const batchSdk = await import('@aws-sdk/client-batch');
  const batch = new batchSdk.BatchClient({ endpoint, region, credentials: TEST_CREDENTIALS });
  try {
    // moto loads each service on first use, so the independent first calls go out together.
    const [serviceRole, , envs, queues] = await Promise.all([
      ensureRole(endpoint, region, role),
      ensureBucket(endpoint, bucket),
      batch.send(
        new batchSdk.DescribeComputeEnvironmentsCommand({ computeEnvironments: [computeEnvironment] }),
      ),
      batch.send(new batchSdk.DescribeJobQueuesCommand({ jobQueues: [queue] })),
    ]);
    if (!envs.computeEnvironments?.length) {
      await batch.send(
        new batchSdk.CreateComputeEnvironmentCommand({
          computeEnvironmentName: computeEnvironment,
          type: 'UNMANAGED',
          state: 'ENABLED',
          serviceRole,
        }),
      );
    }
    if (!queues.jobQueues?.length) {
      await batch.send(
        new batchSdk.CreateJobQueueCommand({
          jobQueueName: queue,
          state: 'ENABLED',
          priority: 1,
          computeEnvironmentOrder: [{ order: 1, computeEnvironment }],
        }),
      );
    }
  } finally {
    batch.destroy();
  }
}

/**
 * True when one of the test files needs the full stand-in (docker + image + Batch resources):
 * files under a `batch/` folder of test/e2e, or named `*.batch.test.*`.
 *
 * @example
 * ```js
 * needsLocalAws(['test/e2e/batch/local-aws.batch.test.ts']); // true
 * ```
 */
export function needsLocalAws(files) {
  return files.some((f) => /(^|\/)test\/e2e\/(.*\/)?batch\//.test(f) || /\.batch\.test\.[cm]?[jt]s$/.test(f));
}

/** Whether moto can run Batch jobs in containers: python3 imports moto's server and docker-py. */
function motoDockerAvailable() {
  return (
    motoAvailable() && spawnSync(pythonCommand(), ['-c', 'import docker'], { stdio: 'ignore' }).status === 0
  );
}

/** Credentials endpoint on the image's port; a foreign program on that port means a rebuild on a new one. */
async function startCreds(image, tag, log) {
  try {
    return { image, creds: await startCredsServer({ port: image.credsPort }) };
  } catch (err) {
    if (err.code !== 'EADDRINUSE') throw err;
    log(`port ${image.credsPort} is taken by another program; rebuilding ${tag} for a new credentials port`);
    const rebuilt = await ensureNodeImage(tag, { credsPort: await pickCredsPort() });
    return { image: rebuilt, creds: await startCredsServer({ port: rebuilt.credsPort }) };
  }
}

/**
 * Starts the whole stand-in. `motoUrl` reuses a moto server that runs with MOTO_DOCKER_NETWORK_MODE=host
 * (it is not stopped); otherwise one is started on a free port. `install` lets it apt-install docker.io.
 * `env` holds the settings a user exports; `stop()` ends what was started here, sends every signal before
 * its first await (safe in an exit handler) and resolves when the daemons are gone.
 *
 * @param {{ logDir: string, motoUrl?: string, install?: boolean, imageTag?: string, log?: (line: string) => void }} options
 * @returns {Promise<{ env: Record<string, string>, settings: { endpoint: string, queue: string, bucket: string,
 *   image: string, region: string, credsUrl: string, dockerdPid?: number, motoPid?: number },
 *   timings: Record<string, number>, stop: () => Promise<void> }>}
 * @example
 * ```js
 * const aws = await startLocalAws({ logDir: '.ci/logs' });
 * try {
 *   // submit jobs to aws.settings.queue on aws.settings.endpoint
 * } finally {
 *   await aws.stop();
 * }
 * ```
 */
export async function startLocalAws({
  logDir,
  motoUrl,
  install = true,
  imageTag = DEFAULT_IMAGE_TAG,
  log = () => {},
}) {
  const startedAt = Date.now();
  const timings = {};
  const stops = []; // in start order; stopped in reverse, moto first
  let moto;
  let ownMotoUrl;
  const stop = () => {
    const pending = [
      moto?.stop(),
      ...stops
        .splice(0)
        .reverse()
        .map((s) => s()),
    ];
    moto = undefined;
    return Promise.all(pending).then(() => undefined);
  };
  const timed = async (name, fn) => {
    const t0 = performance.now();
    const out = await fn();
    timings[name] = Math.round(performance.now() - t0);
    return out;
  };
  const startEngine = async () => {
    const dockerd = await timed('docker', () => ensureDocker({ logDir, install }));
    stops.push(dockerd.stop);
    for (const [k, v] of Object.entries(dockerd.timings)) timings[`docker.${k}`] = Math.round(v);
    log(
      dockerd.pid
        ? `dockerd started (pid ${dockerd.pid}), loopback only`
        : 'reusing the running Docker daemon',
    );
    // Only the jobs of this stand-in's moto: another stand-in on the same daemon keeps its running jobs.
    stops.push(async () => removeJobContainers(dockerd.pid ? 0 : startedAt, motoPort(motoUrl ?? ownMotoUrl)));
    const built = await timed('image', () => ensureNodeImage(imageTag));
    const { image, creds } = await startCreds(built, imageTag, log);
    stops.push(creds.stop);
    const state = image.built ? `built in ${(image.ms / 1000).toFixed(1)} s` : 'up to date';
    log(
      `image ${image.tag} (${image.nodeVersion}, ${state}); credentials on ${creds.url}${creds.shared ? ' (shared)' : ''}`,
    );
    return { dockerd, image };
  };
  try {
    if (!motoUrl && !motoDockerAvailable()) {
      throw new Error(
        "python3 cannot import moto's server and docker-py (python3 -c 'import moto.server, docker')",
      );
    }
    import('@aws-sdk/client-batch').catch(() => {}); // load the SDK while the daemons start
    const starting = motoUrl
      ? undefined
      : timed('moto', () => startMoto({ logDir })).then((m) => {
          moto = m;
          ownMotoUrl = m.url;
          log(`moto on ${m.url} (pid ${m.pid})`);
        });
    const [engine, motoStart] = await Promise.allSettled([startEngine(), starting]);
    if (engine.status === 'rejected') throw engine.reason;
    if (motoStart.status === 'rejected') throw motoStart.reason;
    const { dockerd, image } = engine.value;
    const endpoint = motoUrl ?? moto.url;
    await timed('resources', () => createBatchResources(endpoint, { ...LOCAL_NAMES, region: LOCAL_REGION }));
    const settings = {
      endpoint,
      queue: LOCAL_NAMES.queue,
      bucket: LOCAL_NAMES.bucket,
      image: image.tag,
      region: LOCAL_REGION,
      credsUrl: `http://127.0.0.1:${image.credsPort}${CREDS_PATH}`,
      dockerdPid: dockerd.pid,
      motoPid: moto?.pid,
    };
    return { env: exportedEnv(settings), settings, timings, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The port of a moto URL (jobs carry it as MOTO_PORT), or undefined before moto is known. */
function motoPort(url) {
  return url ? Number(new URL(url).port) : undefined;
}

/** The settings a user exports to run flows with `@batch` against the stand-in. */
function exportedEnv(s) {
  return {
    AWS_ENDPOINT_URL: s.endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: s.region,
    AWS_DEFAULT_REGION: s.region,
    METAFLOW_S3_ENDPOINT_URL: s.endpoint,
    METAFLOW_DEFAULT_DATASTORE: 's3',
    METAFLOW_DATASTORE_SYSROOT_S3: `s3://${s.bucket}/runs`,
    METAFLOW_BATCH_JOB_QUEUE: s.queue,
    METAFLOW_BATCH_CONTAINER_IMAGE: s.image,
  };
}

async function main() {
  const logDir = process.env.STEPFLOW_AWS_LOCAL_LOG_DIR ?? path.join(os.tmpdir(), 'stepflow-aws-local');
  const say = (line) => process.stderr.write(`aws:local: ${line}\n`);
  say(`starting (logs in ${logDir})`);
  let aws;
  try {
    aws = await startLocalAws({ logDir, log: say });
  } catch (err) {
    say(`FAILED: ${err.message}\nlogs: ${logDir}`);
    process.exit(1);
  }
  const keepAlive = setInterval(() => {}, 1 << 30);
  const times = Object.entries(aws.timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`);
  say(`ready (${times.join(', ')}). Export these settings in another shell:\n`);
  for (const [k, v] of Object.entries(aws.env)) process.stdout.write(`export ${k}=${v}\n`);
  say('running until Ctrl-C; it then stops everything it started.');
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      const { motoPid, dockerdPid } = aws.settings;
      const what = [
        motoPid ? `moto (pid ${motoPid})` : undefined,
        dockerdPid ? `dockerd (pid ${dockerdPid})` : 'the job containers it started',
        'the credentials endpoint',
      ].filter(Boolean);
      say(`${sig}: stopping ${what.join(', ')}...`);
      aws.stop().then(
        () => {
          const kept = dockerdPid ? '' : ' The Docker daemon it reused is still running.';
          say(`stopped: everything it started has ended.${kept}`);
          clearInterval(keepAlive);
          process.exit(0);
        },
        (err) => {
          say(`stopped, but not cleanly: ${err?.message ?? err}. Logs: ${logDir}`);
          clearInterval(keepAlive);
          process.exit(1);
        },
      );
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { reexecOnHostNode } = await import('./lib/host-node.mjs');
  reexecOnHostNode(fileURLToPath(import.meta.url));
  await main();
}
