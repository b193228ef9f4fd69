/**
 * The CI rule for tests that need a service (a local AWS stand-in, docker, ...):
 *
 *   With CI=true (or CI=1), a test that would skip because a service is missing FAILS instead.
 *
 * Locally a developer without the service sees a skip with the reason; CI (`.ci/run`, which starts
 * every service the tests need) must never pass by skipping. Tests may read `process.env.CI`
 * themselves or use {@link needService}.
 *
 * @module
 */

/**
 * Whether this process runs under CI (`CI=true` or `CI=1`).
 *
 * @example
 * ```ts
 * if (isCI()) console.log('strict mode: missing services fail');
 * ```
 */
export function isCI() {
  const v = (process.env.CI ?? '').toLowerCase();
  return v === 'true' || v === '1';
}

/**
 * Decide what a test does when it needs a service: returns `true` when the service is there (go on),
 * skips the test and returns `false` when it is missing (the caller returns), and throws under CI.
 *
 * @example
 * ```ts
 * test('lists jobs', async (t) => {
 *   if (!needService(t, await motoIsUp(), 'the moto server (started by .ci/run)')) return;
 *   // ... the real test
 * });
 * ```
 */
export function needService(t, available, what) {
  if (available) return true;
  if (isCI()) {
    throw new Error(
      `${what} is not available, and CI=${process.env.CI} turns a skip into a failure. ` +
        'Start it in .ci/run (and stop it there by PID), or fix the check that looks for it.',
    );
  }
  t.skip(`${what} is not available (under CI=true this would fail)`);
  return false;
}
