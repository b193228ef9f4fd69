/**
 * The size limits of whole requests: RegisterJobDefinition ≤ 24 KiB, SubmitJob ≤ 30 KiB, estimated as
 * the UTF-8 length of the request's JSON (what the SDK sends is that JSON).
 *
 * @module
 */
import type { StepWhere } from '../../../decorators/index.js';
import { BatchRequestError } from '../errors.js';
import { BATCH_LIMITS } from './limits.js';

/** The requests whose size AWS limits. */
export type LimitedRequest = 'RegisterJobDefinition' | 'SubmitJob';

const LIMIT: Readonly<Record<LimitedRequest, number>> = {
  RegisterJobDefinition: BATCH_LIMITS.maxJobDefinitionBytes,
  SubmitJob: BATCH_LIMITS.maxSubmitJobBytes,
};

/**
 * The size in bytes of a value's JSON (UTF-8).
 *
 * @example
 * ```ts
 * jsonBytes({ a: 'é' }); // 10
 * ```
 */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/**
 * Throws a `BatchRequestError` when a request is larger than AWS accepts. `parts` (name → bytes) names the
 * biggest contributors in the message, e.g. environment variables.
 *
 * @example
 * ```ts
 * checkRequestSize('SubmitJob', request, where, { 'environment BIG': 40_000 });
 * ```
 */
export function checkRequestSize(
  kind: LimitedRequest,
  request: unknown,
  where: StepWhere,
  parts: Readonly<Record<string, number>> = {},
): void {
  const size = jsonBytes(request);
  const limit = LIMIT[kind];
  if (size <= limit) return;
  const biggest = Object.entries(parts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, bytes]) => `${name} (${bytes} bytes)`);
  throw new BatchRequestError(
    `@batch on step ${where.flowName}.${where.stepName}: the ${kind} request would be ${size} bytes; ` +
      `AWS accepts at most ${limit} (${limit / 1024} KiB).` +
      (biggest.length > 0 ? ` Largest parts: ${biggest.join(', ')}.` : '') +
      ' Make it smaller (fewer or shorter environment variables, volumes, tags or log options).',
    { request: kind, size, limit, flow: where.flowName, step: where.stepName },
  );
}
