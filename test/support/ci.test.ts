import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireOrSkip } from '../e2e/helpers.js';
import { awsEndpoint } from './aws.js';
import { batchEnv } from './batch.js';
import { skipWithoutMoto } from './simple-moto.js';
import { until } from './wait.js';

const SERVICE_VARS = [
  'STEPFLOW_TEST_AWS_ENDPOINT',
  'STEPFLOW_TEST_BATCH_QUEUE',
  'STEPFLOW_TEST_BATCH_IMAGE',
  'STEPFLOW_TEST_BATCH_BUCKET',
];

/** Runs `fn` with CI set to `ci` and no test service advertised, restoring the environment after. */
function withoutServices<T>(ci: string | undefined, fn: () => T): T {
  const saved = Object.fromEntries(['CI', ...SERVICE_VARS].map((k) => [k, process.env[k]]));
  for (const k of SERVICE_VARS) delete process.env[k];
  if (ci === undefined) delete process.env.CI;
  else process.env.CI = ci;
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Every "skip when a service is missing" helper of the tests, called with the service missing. */
const WOULD_SKIP: Record<string, (t: { skip(m?: string): void }) => unknown> = {
  awsEndpoint: (t) => awsEndpoint(t),
  skipWithoutMoto: (t) => skipWithoutMoto(undefined, t),
  batchEnv: (t) => batchEnv(t),
  requireOrSkip: (t) => requireOrSkip(false, 'docker', t),
};

for (const [name, call] of Object.entries(WOULD_SKIP)) {
  it(`${name}: a missing service skips locally, and fails under CI=1 and CI=true`, () => {
    const skipped: (string | undefined)[] = [];
    const t = { skip: (m?: string) => void skipped.push(m) };
    for (const ci of [undefined, 'false', '0']) withoutServices(ci, () => call(t));
    assert.equal(skipped.length, 3, 'skipped each time without CI');
    for (const ci of ['1', 'true', 'TRUE']) {
      assert.throws(() => withoutServices(ci, () => call(t)), /turns a skip into a failure/, `CI=${ci}`);
    }
    assert.equal(skipped.length, 3, 'never skipped under CI');
  });
}

describe('ci', () => {
  it('until: resolves once a sync or async check holds, and names what it waited for past its bound', async () => {
    let n = 0;
    await until(() => ++n === 3, 'three checks');
    assert.equal(n, 3);
    let m = 0;
    await until(async () => ++m === 2, 'two async checks', { everyMs: 1 });
    assert.equal(m, 2);
    await assert.rejects(
      until(() => false, 'the impossible', { everyMs: 1, timeoutMs: 5 }),
      /timed out waiting for the impossible/,
    );
  });
});
