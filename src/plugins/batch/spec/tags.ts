/**
 * Job tags: the user's (`awsBatchTags` over `METAFLOW_BATCH_DEFAULT_TAGS`), checked against AWS's rules
 * (every character, not only the first as in Metaflow), and the system tags added with
 * `METAFLOW_BATCH_EMIT_TAGS`, whose values are cleaned instead (a user name never fails a job).
 *
 * @module
 */
import type { StepWhere } from '../../../decorators/index.js';
import { batchOptionError } from '../errors.js';
import { BATCH_LIMITS, TAG_CHARACTERS, TAG_FORBIDDEN_CHARACTER } from './limits.js';

/** The keys of the system tags, in the order they are added. */
export const SYSTEM_TAG_KEYS = [
  'app',
  'stepflow.flow_name',
  'stepflow.run_id',
  'stepflow.step_name',
  'stepflow.user',
] as const;

/** What the system tags describe. */
export interface SystemTagInput {
  readonly flowName: string;
  readonly runId: string;
  readonly stepName: string;
  readonly user: string;
}

/**
 * Removes the characters AWS does not allow in tags and shortens the value to 256 characters.
 *
 * @example
 * ```ts
 * sanitizeTagValue('jane#doe'); // 'janedoe'
 * ```
 */
export function sanitizeTagValue(value: string): string {
  return value.replace(TAG_FORBIDDEN_CHARACTER, '').slice(0, BATCH_LIMITS.maxTagValueLength);
}

/**
 * The system tags of a job (sent only with `METAFLOW_BATCH_EMIT_TAGS`): `app=stepflow` and the flow,
 * run, step and user, cleaned to AWS's characters.
 *
 * @example
 * ```ts
 * systemTags({ flowName: 'F', runId: '17', stepName: 'train', user: 'jane' });
 * // { app: 'stepflow', 'stepflow.flow_name': 'F', 'stepflow.run_id': '17', 'stepflow.step_name': 'train', 'stepflow.user': 'jane' }
 * ```
 */
export function systemTags(input: SystemTagInput): Record<string, string> {
  const values = ['stepflow', input.flowName, input.runId, input.stepName, input.user];
  return Object.fromEntries(SYSTEM_TAG_KEYS.map((key, i) => [key, sanitizeTagValue(values[i])]));
}

function tagRule(where: StepWhere, origin: string, key: string, value: unknown, text: string): Error {
  return batchOptionError(where, 'awsBatchTags', { [key]: value }, `tag "${key}" ${origin}${text}`);
}

/**
 * Checks tags against AWS's rules: keys 1–128 characters, values up to 256, only letters, digits,
 * spaces and `_ . : / = + - @`, no `aws:` prefix on keys or values, and at most 50 tags in all (counting
 * the system tags when `withSystemTags`). `origins` tells which tags came from a setting, for messages.
 *
 * @example
 * ```ts
 * checkTags(where, { team: 'ml' }, { withSystemTags: true }); // ok
 * checkTags(where, { 'aws:x': '1' }, { withSystemTags: false }); // throws: 'aws:' is a reserved prefix
 * ```
 */
export function checkTags(
  where: StepWhere,
  tags: Readonly<Record<string, string>>,
  options: { readonly withSystemTags: boolean; readonly fromSetting?: ReadonlySet<string> },
): void {
  for (const [key, value] of Object.entries(tags)) {
    const origin = options.fromSetting?.has(key) ? '(from METAFLOW_BATCH_DEFAULT_TAGS) ' : '';
    if (key.length === 0 || key.length > BATCH_LIMITS.maxTagKeyLength) {
      throw tagRule(
        where,
        origin,
        key,
        value,
        `must have a key of 1 to ${BATCH_LIMITS.maxTagKeyLength} characters`,
      );
    }
    if (value.length > BATCH_LIMITS.maxTagValueLength) {
      throw tagRule(
        where,
        origin,
        key,
        value,
        `must have a value of at most ${BATCH_LIMITS.maxTagValueLength} characters`,
      );
    }
    if (!TAG_CHARACTERS.test(key) || !TAG_CHARACTERS.test(value)) {
      throw tagRule(where, origin, key, value, 'may only hold letters, digits, spaces and _ . : / = + - @');
    }
    if (/^aws:/i.test(key) || /^aws:/i.test(value)) {
      throw tagRule(
        where,
        origin,
        key,
        value,
        "must not start its key or value with 'aws:' (reserved by AWS)",
      );
    }
  }
  const user = Object.keys(tags);
  const system = options.withSystemTags ? SYSTEM_TAG_KEYS.filter((k) => !user.includes(k)).length : 0;
  if (user.length + system > BATCH_LIMITS.maxTags) {
    throw batchOptionError(
      where,
      'awsBatchTags',
      `${user.length} tags`,
      `a job may have at most ${BATCH_LIMITS.maxTags} tags` +
        (system > 0 ? `, ${system} of them the system tags of METAFLOW_BATCH_EMIT_TAGS` : ''),
      'Remove some tags from awsBatchTags or METAFLOW_BATCH_DEFAULT_TAGS.',
    );
  }
}
