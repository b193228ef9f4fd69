/**
 * A refused SubmitJob, explained. The case worth explaining is tagging: a job with tags needs the
 * submitting identity to have `batch:TagResource` as well as `batch:SubmitJob`, and AWS answers
 * `AccessDeniedException` without saying it was the tags. The error then says where the tags came from
 * (`awsBatchTags`, `METAFLOW_BATCH_DEFAULT_TAGS`, `METAFLOW_BATCH_EMIT_TAGS`) and how to fix it.
 *
 * @module
 */
import type { SubmitJobCommandInput } from '@aws-sdk/client-batch';
import { isPermissionDenied } from '../../../aws/index.js';
import { errorMessage } from '../../../common/index.js';
import { BatchLaunchError } from '../errors.js';
import type { ResolvedBatch } from '../spec/resolve.js';
import { SYSTEM_TAG_KEYS } from '../spec/tags.js';

/**
 * Whether an AWS error is an access-denied answer (`AccessDeniedException`, HTTP 403 with "not
 * authorized", or a message naming `batch:TagResource`).
 *
 * @example
 * ```ts
 * isAccessDenied(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' })); // true
 * ```
 */
export function isAccessDenied(err: unknown): boolean {
  const message = String((err as { message?: unknown } | null)?.message ?? err);
  return isPermissionDenied(err) || /batch:TagResource/i.test(message);
}

function tagOrigins(tags: readonly string[], resolved: ResolvedBatch): string[] {
  const system = new Set<string>(SYSTEM_TAG_KEYS);
  const fromSetting = new Set(resolved.tagsFromSetting);
  const groups: [string, string[]][] = [
    ['the awsBatchTags option', tags.filter((k) => !system.has(k) && !fromSetting.has(k))],
    ['METAFLOW_BATCH_DEFAULT_TAGS', tags.filter((k) => fromSetting.has(k) && !system.has(k))],
    ['METAFLOW_BATCH_EMIT_TAGS=true (system tags)', tags.filter((k) => system.has(k))],
  ];
  return groups
    .filter(([, keys]) => keys.length > 0)
    .map(([from, keys]) => `${keys.join(', ')} from ${from}`);
}

/**
 * The error of a refused SubmitJob: for an access-denied answer to a request with tags, a
 * {@link BatchLaunchError} explaining `batch:TagResource`; otherwise one carrying AWS's message.
 *
 * @example
 * ```ts
 * try { await api.submitJob(request); } catch (err) {
 *   throw submitJobError(err, { pathspec: 'F/1/train/2', request, resolved });
 * }
 * ```
 */
export function submitJobError(
  err: unknown,
  input: {
    readonly pathspec: string;
    readonly request: Pick<SubmitJobCommandInput, 'tags'>;
    readonly resolved: ResolvedBatch;
  },
): BatchLaunchError {
  const { resolved } = input;
  const aws = `${err instanceof Error ? err.name : 'Error'}: ${errorMessage(err)}`;
  const tags = Object.keys(input.request.tags ?? {});
  const where = { action: 'SubmitJob', flow: resolved.flowName, step: resolved.stepName, cause: err };
  if (tags.length > 0 && isAccessDenied(err)) {
    return new BatchLaunchError(
      `@batch on step ${resolved.flowName}.${resolved.stepName}: AWS Batch refused to submit the job of ` +
        `${input.pathspec} (${aws}). The job carries tags (${tagOrigins(tags, resolved).join('; ')}), and ` +
        'tagging a job needs the batch:TagResource permission besides batch:SubmitJob. Grant ' +
        'batch:TagResource to the identity submitting jobs, or send no tags: remove them from ' +
        'awsBatchTags and METAFLOW_BATCH_DEFAULT_TAGS and unset METAFLOW_BATCH_EMIT_TAGS.',
      where,
    );
  }
  return new BatchLaunchError(
    `could not submit the AWS Batch job of ${input.pathspec}: ${errorMessage(err)}`,
    where,
  );
}
