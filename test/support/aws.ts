/**
 * Test access to the local AWS stand-in: the moto server that `scripts/test.mjs` starts on a free loopback
 * port and names in `STEPFLOW_TEST_AWS_ENDPOINT`. Without it a test skips, except under CI (CI=true or CI=1), where a
 * missing service fails the test.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { needService } from '../../scripts/ci-rules.mjs';

/** Credentials and region moto accepts; never real ones. */
export const TEST_AWS_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
};

/**
 * The moto endpoint, or undefined after skipping the test (failing it under CI (CI=true or CI=1)).
 *
 * @example
 * ```ts
 * it('puts an object', async (t) => {
 *   const endpoint = awsEndpoint(t);
 *   if (!endpoint) return;
 * });
 * ```
 */
export function awsEndpoint(t: { skip(message?: string): void }): string | undefined {
  const endpoint = process.env.STEPFLOW_TEST_AWS_ENDPOINT;
  if (endpoint) return endpoint;
  needService(t, false, 'the moto server (run the tests with `node scripts/test.mjs`: it starts one)');
  return undefined;
}

/**
 * Creates a bucket with a unique name on the moto server and returns its name.
 *
 * @example
 * ```ts
 * const bucket = await createTestBucket(endpoint);
 * ```
 */
export async function createTestBucket(endpoint: string, prefix = 'stepflow-test'): Promise<string> {
  const name = `${prefix}-${randomBytes(6).toString('hex')}`;
  const res = await fetch(`${endpoint}/${name}`, { method: 'PUT' });
  if (!res.ok) throw new Error(`could not create bucket ${name} on ${endpoint}: HTTP ${res.status}`);
  return name;
}
