/**
 * An attempt's `<attempt>.batch.json` record, and its container's exit code as AWS tells it.
 *
 * @module
 */
import type { JobDetail } from '@aws-sdk/client-batch';
import type { BatchApi } from '../aws.js';
import type { JobFailure } from './classify-failure.js';

/**
 * The record of an attempt run on AWS Batch (`<attempt>.batch.json` beside the attempt's records).
 *
 * @example
 * ```ts
 * const record = JSON.parse(String(await storage.get('F/17/train/3/0.batch.json'))) as BatchJobRecord;
 * record.jobId; // '0123-abcd-...'
 * ```
 */
export interface BatchJobRecord {
  readonly jobId: string;
  readonly jobName: string;
  /** The array job this attempt ran in, as child `index` (its job id is `<arrayJobId>:<index>`). */
  readonly arrayJobId?: string;
  readonly index?: number;
  readonly attempt: number;
  readonly queue: string;
  readonly jobDefinition: string;
  /** The compute environment that ran it (once known; else the queue's environments). */
  readonly computeEnvironment?: string;
  readonly computeEnvironments: readonly string[];
  readonly logGroup?: string;
  readonly logStream?: string;
  readonly status?: string;
  readonly statusReason?: string;
  readonly exitCode?: number | null;
  readonly codePackage: string;
  /** How the job failed, when it did (see classify-failure.ts). */
  readonly failure?: JobFailure['kind'];
  /**
   * Earlier jobs of this attempt lost to spot reclaims, resubmitted automatically (oldest first), with
   * when the loss was seen (`at`, ISO time; the ui draws it on the timeline).
   */
  readonly reclaimed?: readonly { readonly jobId: string; readonly reason: string; readonly at?: string }[];
}

/**
 * A FAILED job's container exit code: DescribeJobs' `container.exitCode`, else ListJobs (`where`: the job's
 * queue, or the array of an array child), since moto describes neither with one. Undefined when unknown.
 *
 * @example
 * ```ts
 * const code = await exitCodeOf(api, job, { jobQueue: 'q' });
 * ```
 */
export async function exitCodeOf(
  api: Pick<BatchApi, 'listJobs'>,
  job: JobDetail,
  where: { readonly jobQueue: string } | { readonly arrayJobId: string },
): Promise<number | undefined> {
  const described = job.container?.exitCode ?? job.attempts?.at(-1)?.container?.exitCode;
  if (described !== undefined) return described;
  try {
    let nextToken: string | undefined;
    do {
      const page = await api.listJobs({ ...where, jobStatus: job.status, nextToken });
      const hit = page.jobSummaryList?.find((s) => s.jobId === job.jobId);
      if (hit) return hit.container?.exitCode;
      nextToken = page.nextToken;
    } while (nextToken);
  } catch {
    // unknown
  }
  return undefined;
}
