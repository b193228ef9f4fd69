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
import { fileURLToPath, pathToFileURL } from 'node:url';
import { needService } from '../../scripts/ci-rules.mjs';

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
