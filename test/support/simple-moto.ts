/**
 * A moto server of a test file's own in Batch SIMPLE mode (no containers: jobs just succeed), with a
 * bucket, a compute environment and a job queue — for tests of the launcher's AWS calls that must not
 * share the runner's moto (that one may run real containers for other tests).
 *
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { needService } from '../../scripts/ci-rules.mjs';
import type { FaultProxy, startFaultProxy } from '../../scripts/lib/batch-fault-proxy.mjs';
import type { BatchApi } from '../../src/plugins/batch/aws.js';
import { BatchPreparation } from '../../src/plugins/batch/jobs/prepare.js';
import { batchStep } from './fake-launch.js';

const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Imports a module of `scripts/` (plain JavaScript, shared with the test runner and benchmarks). */
async function scripts<T>(file: string): Promise<T> {
  return (await import(pathToFileURL(path.join(REPO, 'scripts', file)).href)) as T;
}

/** A started simple-mode moto. */
export interface SimpleMoto {
  readonly url: string;
  /** Stops moto (by its PID) and removes its logs. */
  stop(): Promise<void>;
}

/**
 * Starts moto on a free loopback port in simple mode and creates the named resources; `undefined` when
 * python3 cannot import moto (the caller then skips, or fails under CI: {@link skipWithoutMoto}).
 *
 * @example
 * ```ts
 * before(async () => {
 *   moto = await startSimpleMoto({ bucket: 'b', queue: 'q', computeEnvironment: 'ce', role: 'r' });
 * });
 * after(() => moto?.stop());
 * ```
 */
export async function startSimpleMoto(names: {
  readonly bucket: string;
  readonly queue: string;
  readonly computeEnvironment: string;
  readonly role: string;
}): Promise<SimpleMoto | undefined> {
  const { motoAvailable, startMoto } = await scripts<{
    motoAvailable(): boolean;
    startMoto(o: { logDir: string }): Promise<{ url: string; stop(): Promise<void> }>;
  }>('lib/moto.mjs');
  if (!motoAvailable()) return undefined;
  const logDir = await mkdtemp(path.join(tmpdir(), 'stepflow-moto-'));
  const moto = await startMoto({ logDir });
  const stop = async () => {
    await moto.stop();
    await rm(logDir, { recursive: true, force: true });
  };
  try {
    const config = await fetch(`${moto.url}/moto-api/config`, {
      method: 'POST',
      body: JSON.stringify({ batch: { use_docker: false } }),
    });
    assert.ok(config.ok, 'moto switched to simple mode');
    const { createBatchResources } = await scripts<{
      createBatchResources(endpoint: string, o: Record<string, string>): Promise<void>;
    }>('aws-local.mjs');
    await createBatchResources(moto.url, { ...names, region: 'us-east-1' });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: moto.url, stop };
}

/**
 * True (after skipping the test) when there is no moto; under CI (CI=true or CI=1) a missing moto fails the test.
 *
 * @example
 * ```ts
 * it('...', async (t) => { if (skipWithoutMoto(moto, t)) return; ... });
 * ```
 */
export function skipWithoutMoto(moto: SimpleMoto | undefined, t: { skip(m: string): void }): boolean {
  if (moto) return false;
  needService(t, false, 'moto (python3 with moto[server])');
  return true;
}

/** The moto (and fault proxy) of a suite, set by {@link useSimpleMoto}'s `before` hook. */
export interface MotoSuite {
  /** The queue created on moto: `<prefix>-queue`. */
  readonly queue: string;
  moto?: SimpleMoto;
  /** The fault-injecting proxy in front of moto (scripts/lib/batch-fault-proxy.mjs), when asked for. */
  proxy?: FaultProxy;
}

/**
 * Registers, in the calling `describe` (a file-level `before()` is not awaited before a suite's tests on
 * Node 20), hooks that start a simple-mode moto with `<prefix>-bucket`, `-queue`, `-ce` and `-role`
 * ({@link startSimpleMoto}), optionally behind the fault-injecting proxy, and point the SDK's environment
 * at it (test credentials, us-east-1); `after` restores the environment and stops both.
 *
 * @example
 * ```ts
 * describe('...', () => {
 *   const suite = useSimpleMoto('faults', { faultProxy: true });
 *   it('...', async (t) => { if (skipWithoutMoto(suite.moto, t)) return; suite.proxy?.setFaults(...); });
 * });
 * ```
 */
export function useSimpleMoto(prefix: string, { faultProxy = false } = {}): MotoSuite {
  const suite: MotoSuite = { queue: `${prefix}-queue` };
  const saved = { ...process.env };
  before(async () => {
    suite.moto = await startSimpleMoto({
      bucket: `${prefix}-bucket`,
      queue: suite.queue,
      computeEnvironment: `${prefix}-ce`,
      role: `${prefix}-role`,
    });
    if (!suite.moto) return;
    if (faultProxy) {
      const lib = await scripts<{ startFaultProxy: typeof startFaultProxy }>('lib/batch-fault-proxy.mjs');
      suite.proxy = await lib.startFaultProxy({ target: suite.moto.url });
    }
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: (suite.proxy ?? suite.moto).url,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
    });
  });
  after(async () => {
    process.env = saved;
    await suite.proxy?.close();
    await suite.moto?.stop();
  });
  return suite;
}

/**
 * Registers (or finds) the job definition of a `node:20` `@batch` step `<flowName>.<stepName>` on `queue`
 * and returns its name, for tests that submit jobs by hand.
 *
 * @example
 * ```ts
 * const jobDefinition = await testJobDefinition(api, { queue: suite.queue, flowName: 'F', stepName: 'work' });
 * ```
 */
export async function testJobDefinition(
  api: BatchApi,
  where: { readonly queue: string; readonly flowName: string; readonly stepName: string },
): Promise<string> {
  const step = batchStep(where.stepName, {
    flowName: where.flowName,
    options: { image: 'node:20' },
    settings: { queue: where.queue },
  });
  const { steps } = await new BatchPreparation(api).prepareSteps([step]);
  return steps.get(where.stepName)?.jobDefinition as string;
}
