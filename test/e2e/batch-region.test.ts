/**
 * A `@batch` run with ONLY `AWS_DEFAULT_REGION` set (what a Metaflow user's shell has; AWS_REGION is
 * removed from the environment): every AWS client finds the region, and the job gets it. Against a moto
 * server of this file's own in simple mode, with the fault proxy of scripts/lib/batch-fault-proxy.mjs as
 * the JOB-RUNNER stand-in (each job's command runs as a local process with the job's environment and
 * the test credentials only — no region — so the job's region can only come from the launching side).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { FaultProxy, startFaultProxy } from '../../scripts/lib/batch-fault-proxy.mjs';
import { type SimpleMoto, skipWithoutMoto, startSimpleMoto } from '../support/simple-moto.js';
import { REPO, runCli, workspace } from './helpers.js';

const BUCKET = 'region-bucket';
const QUEUE = 'region-queue';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

let moto: SimpleMoto | undefined;
let proxy: FaultProxy | undefined;

describe('@batch with only AWS_DEFAULT_REGION set (moto simple mode + job-runner stand-in)', () => {
  before(async () => {
    moto = await startSimpleMoto({
      bucket: BUCKET,
      queue: QUEUE,
      computeEnvironment: 'region-ce',
      role: 'region-role',
    });
    if (!moto) return;
    const lib = (await import(
      pathToFileURL(path.join(REPO, 'scripts', 'lib', 'batch-fault-proxy.mjs')).href
    )) as { startFaultProxy: typeof startFaultProxy };
    proxy = await lib.startFaultProxy({
      target: moto.url,
      runner: { concurrency: 2, env: { ...CREDENTIALS, PATH: process.env.PATH ?? '' } },
    });
  });

  after(async () => {
    await proxy?.close();
    await moto?.stop();
  });

  it('runs the flow: the Batch and S3 clients find the region, and the job is given it', async (t) => {
    if (skipWithoutMoto(moto, t)) return;
    const ws = await workspace();
    try {
      const result = await runCli(
        [
          'run',
          path.join(REPO, 'test', 'e2e', 'batch', 'flows', 'region-flow.ts'),
          '--datastore',
          's3',
          '--datastore-root',
          `s3://${BUCKET}/runs`,
        ],
        {
          cwd: ws.dir,
          env: {
            ...CREDENTIALS,
            AWS_REGION: undefined, // deleted: only AWS_DEFAULT_REGION names the region
            AWS_DEFAULT_REGION: 'us-east-1',
            AWS_PROFILE: undefined,
            AWS_CONFIG_FILE: path.join(ws.dir, 'no-aws-config'),
            AWS_ENDPOINT_URL: (proxy as FaultProxy).url,
            METAFLOW_S3_ENDPOINT_URL: (moto as SimpleMoto).url,
            METAFLOW_BATCH_JOB_QUEUE: QUEUE,
            METAFLOW_BATCH_CONTAINER_IMAGE: 'node:20',
            STEPFLOW_BATCH_POLL_MS: '200',
          },
        },
      );
      const out = `${result.stdout}\n${result.stderr}`;
      assert.equal(result.code, 0, `the run succeeded:\n${out.split('\n').slice(-25).join('\n')}`);
      assert.doesNotMatch(out, /Region is missing/);
      assert.match(
        out,
        /region in the job: us-east-1\/us-east-1/,
        'AWS_REGION and AWS_DEFAULT_REGION in the job',
      );
      assert.equal((proxy as FaultProxy).submitted.length, 1, 'one job submitted');
    } finally {
      await ws.cleanup();
    }
  });
});
