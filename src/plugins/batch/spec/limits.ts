/**
 * AWS Batch's hard limits that `@batch` checks before any AWS call (aws-batch-and-peers.md §3), in one
 * place so the checks and their messages agree.
 *
 * @module
 */

/**
 * The numbers AWS enforces on job definitions, SubmitJob requests, tags and names.
 *
 * @example
 * ```ts
 * if (seconds < BATCH_LIMITS.minTimeoutSeconds) throw new Error('too short');
 * ```
 */
export const BATCH_LIMITS = {
  /** `timeout.attemptDurationSeconds` minimum. */
  minTimeoutSeconds: 60,
  /** `MEMORY` resource requirement minimum, in MiB. */
  minMemoryMiB: 4,
  /** `linuxParameters.swappiness` range. */
  swappiness: { min: 0, max: 100 },
  /** `ephemeralStorage.sizeInGiB` range (Fargate only). */
  ephemeralStorageGiB: { min: 21, max: 200 },
  /** Tags per job (job and definition tags together when propagated). */
  maxTags: 50,
  maxTagKeyLength: 128,
  maxTagValueLength: 256,
  /** Job and job definition names: letters, digits, `-`, `_`, at most 128. */
  maxNameLength: 128,
  /** `containerProperties.image`. */
  maxImageLength: 255,
  /** Whole RegisterJobDefinition request, in bytes (24 KiB). */
  maxJobDefinitionBytes: 24 * 1024,
  /** Whole SubmitJob request, in bytes (30 KiB). */
  maxSubmitJobBytes: 30 * 1024,
} as const;

/** Log drivers a job definition accepts. */
export const LOG_DRIVERS = [
  'awslogs',
  'awsfirelens',
  'fluentd',
  'gelf',
  'journald',
  'json-file',
  'splunk',
  'syslog',
] as const;

/** Log drivers Fargate accepts. */
export const FARGATE_LOG_DRIVERS: readonly string[] = ['awslogs', 'splunk'];

/** Characters AWS allows in tag keys and values: letters, digits, spaces and `_ . : / = + - @`. */
export const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** One character AWS does not allow in tags (for sanitizing system tag values). */
export const TAG_FORBIDDEN_CHARACTER = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;
