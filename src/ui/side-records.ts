/**
 * What the pages draw from the records a compute layer keeps beside an attempt (`<attempt>.<name>.json`),
 * read by their fields, never by the decorator's name: the jobs lost and resubmitted (`reclaimed`), the
 * log stream in the AWS console (`logGroup` + `logStream`), and an array job's child (`arrayJobId` +
 * `index`).
 *
 * @module
 */
import type { Resubmit } from './api-types.js';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ARN_REGION = /^arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d+):/;

function fieldsOf(record: unknown): Record<string, unknown> {
  return record !== null && typeof record === 'object' && !Array.isArray(record)
    ? (record as Record<string, unknown>)
    : {};
}

/**
 * The resubmitted jobs listed in an attempt's side records (`reclaimed: [{ jobId, reason, at? }]`).
 *
 * @example
 * ```ts
 * resubmitsOf({ batch: { reclaimed: [{ jobId: 'j1', reason: 'spot' }] } }); // [{ jobId: 'j1', reason: 'spot' }]
 * ```
 */
export function resubmitsOf(records: Record<string, unknown>): Resubmit[] {
  const out: Resubmit[] = [];
  for (const record of Object.values(records)) {
    const list = fieldsOf(record).reclaimed;
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const f = fieldsOf(item);
      out.push({
        jobId: typeof f.jobId === 'string' ? f.jobId : '',
        reason: typeof f.reason === 'string' ? f.reason : '',
        ...(typeof f.at === 'string' && !Number.isNaN(Date.parse(f.at)) ? { at: f.at } : {}),
      });
    }
  }
  return out;
}

/**
 * The AWS console's escaping of a log group or stream inside its `#logsV2:` fragment: URI-encoded, then
 * each `%` as `$25`.
 *
 * @example
 * ```ts
 * consoleEscape('/aws/batch/job'); // '$252Faws$252Fbatch$252Fjob'
 * ```
 */
export function consoleEscape(text: string): string {
  return encodeURIComponent(text).replace(/%/g, '$$25');
}

/**
 * The CloudWatch console link of the first side record naming a log group and stream, in the record's
 * `region`, else the region of an ARN in it, else `fallbackRegion`; `undefined` without a region.
 *
 * @example
 * ```ts
 * logConsoleOf({ batch: { logGroup: '/aws/batch/job', logStream: 'a/b/c', region: 'eu-west-1' } });
 * ```
 */
export function logConsoleOf(
  records: Record<string, unknown>,
  fallbackRegion?: string,
): { url: string; stream: string } | undefined {
  for (const record of Object.values(records)) {
    const f = fieldsOf(record);
    if (typeof f.logGroup !== 'string' || typeof f.logStream !== 'string') continue;
    const region = regionOf(f) ?? fallbackRegion;
    if (!region || !REGION.test(region)) return undefined;
    const url =
      `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}` +
      `#logsV2:log-groups/log-group/${consoleEscape(f.logGroup)}/log-events/${consoleEscape(f.logStream)}`;
    return { url, stream: f.logStream };
  }
  return undefined;
}

function regionOf(fields: Record<string, unknown>): string | undefined {
  if (typeof fields.region === 'string' && REGION.test(fields.region)) return fields.region;
  for (const value of Object.values(fields)) {
    const m = typeof value === 'string' ? ARN_REGION.exec(value) : null;
    if (m) return m[1];
  }
  return undefined;
}

/**
 * The array job an attempt ran in, when a side record names one (`arrayJobId` and `index`).
 *
 * @example
 * ```ts
 * arrayChildOf({ batch: { arrayJobId: 'p-1', index: 3 } }); // { parent: 'p-1', index: 3 }
 * ```
 */
export function arrayChildOf(
  records: Record<string, unknown>,
): { parent: string; index: number } | undefined {
  for (const record of Object.values(records)) {
    const f = fieldsOf(record);
    if (typeof f.arrayJobId === 'string' && typeof f.index === 'number' && Number.isInteger(f.index)) {
      return { parent: f.arrayJobId, index: f.index };
    }
  }
  return undefined;
}
