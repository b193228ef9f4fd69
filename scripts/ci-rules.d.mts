/**
 * Types for `scripts/ci-rules.mjs`: under CI=true a test whose service is missing fails instead of skipping.
 *
 * @module
 */
import type { TestContext } from 'node:test';

/**
 * Whether this process runs under CI (`CI=true` or `CI=1`).
 *
 * @example
 * ```ts
 * if (isCI()) console.log('strict mode: missing services fail');
 * ```
 */
export declare function isCI(): boolean;

/**
 * `true` when the service is there; skips and returns `false` when missing; throws under CI.
 *
 * @example
 * ```ts
 * test('lists jobs', async (t) => {
 *   if (!needService(t, await motoIsUp(), 'the moto server')) return;
 * });
 * ```
 */
export declare function needService(t: Pick<TestContext, 'skip'>, available: boolean, what: string): boolean;
