/**
 * Options of `@batch`: every parameter of the seed page in camelCase, plus `hostVolumes`, `efsVolumes`,
 * `privileged` and `awsBatchTags`. This module checks their shape (types, signs) and fills the seed's
 * defaults; limits that involve several options, settings or AWS's ranges are checked in `validate.ts`.
 *
 * @module
 */
import * as z from 'zod/mini';
import type { StepWhere } from '../../../decorators/index.js';
import { type OptionRules, parseDecoratorOptions } from '../../parse-options.js';
import { batchOptionError } from '../errors.js';

/** Where a tmpfs is mounted when `tmpfsPath` is not given. */
export const DEFAULT_TMPFS_PATH = '/metaflow_temp';

const positiveInt = z.int().check(z.positive());
const count = z.int().check(z.minimum(0));
const text = z.string().check(z.minLength(1));
const oneOrMany = z.union([text, z.array(text)]);

/**
 * An npm package name (`sharp`, `@duckdb/node-api`): lower case, optional scope, no path inside it.
 *
 * @example
 * ```ts
 * NPM_NAME.test('@duckdb/node-api'); // true
 * NPM_NAME.test('sharp/lib');        // false
 * ```
 */
export const NPM_NAME = /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/;
const npmNames = z.union([text, z.array(z.string().check(z.regex(NPM_NAME)))]);

/** The option schema's fields (documented here: the option types are derived from them). */
const fields = {
  /** vCPUs, fractions allowed on Fargate (default 1; the larger of this and `@resources` wins). */
  cpu: z.optional(z.number().check(z.positive())),
  /** GPUs (default 0; the larger of this and `@resources` wins). */
  gpu: z.optional(count),
  /** Memory in MiB (default 4096; the larger of this and `@resources` wins). */
  memory: z.optional(positiveInt),
  /** Container image (default `METAFLOW_BATCH_CONTAINER_IMAGE`, else `node:<major>` of the launching Node). */
  image: z.optional(text),
  /** Job queue name or ARN (default `METAFLOW_BATCH_JOB_QUEUE`). */
  queue: z.optional(text),
  /** Job role ARN, the role the container's code uses (default `METAFLOW_ECS_S3_ACCESS_IAM_ROLE`). */
  iamRole: z.optional(text),
  /** Fargate task execution role ARN (default `METAFLOW_ECS_FARGATE_EXECUTION_ROLE`; required on Fargate). */
  executionRole: z.optional(text),
  /** Size of `/dev/shm` in MiB (`--shm-size`). EC2 only. */
  sharedMemory: z.optional(positiveInt),
  /** Swap in MiB the container may use on top of its memory (0: none). EC2 only. */
  maxSwap: z.optional(count),
  /** How eagerly pages are swapped, 0–100; needs `maxSwap`. EC2 only. */
  swappiness: z.optional(z.int()),
  /** Mount a tmpfs (default false; giving `tmpfsSize` mounts one too). EC2 only. */
  useTmpfs: z._default(z.boolean(), false),
  /** Point the task's `METAFLOW_TEMPDIR` (and `current.tempdir`) at the tmpfs (default true). */
  tmpfsTempdir: z._default(z.boolean(), true),
  /** Size of the tmpfs in MiB (default half the memory). */
  tmpfsSize: z.optional(positiveInt),
  /** Where the tmpfs is mounted, an absolute path (default `/metaflow_temp`). */
  tmpfsPath: z._default(text, DEFAULT_TMPFS_PATH),
  /** Inferentia chips (default 0). */
  inferentia: z.optional(count),
  /** Alias of `inferentia`; give one of the two. */
  trainium: z.optional(count),
  /** Elastic Fabric Adapter devices (default 0). */
  efa: z._default(count, 0),
  /** Ephemeral storage of the task in GiB, 21–200. Fargate only. */
  ephemeralStorage: z.optional(z.int()),
  /** Log driver of the container (`awslogs`, `splunk`, ...). */
  logDriver: z.optional(text),
  /** Options of the log driver: `"key:value"` strings, or an object. */
  logOptions: z.optional(z.union([text, z.array(text), z.record(z.string(), z.string())])),
  /** Host paths to mount: `"/host"` or `"/host:/container"`. EC2 only. */
  hostVolumes: z.optional(oneOrMany),
  /** EFS file systems to mount: `"fs-123"` (at `/mnt/fs-123`) or `"fs-123:/path"`. */
  efsVolumes: z.optional(oneOrMany),
  /** Run the container privileged (default false). EC2 only. */
  privileged: z._default(z.boolean(), false),
  /** Tags of the job, over `METAFLOW_BATCH_DEFAULT_TAGS`. */
  awsBatchTags: z.optional(z.record(z.string(), z.string())),
  /**
   * npm packages the image provides (installed with `npm install -g` or in `/app/node_modules`): left out
   * of the dependency layer and resolved from the image (with `STEPFLOW_BATCH_IMAGE_PACKAGES`).
   * A list, or one comma-separated string (`--with batch:image_packages=sharp,@duckdb/node-api`).
   */
  imagePackages: z.optional(npmNames),
};

const schema = z.strictObject(fields);

/**
 * Options of `@batch` as written in a flow (snake_case spellings are accepted from `--with`): the input
 * type of the option schema, so the two cannot drift apart.
 *
 * @example
 * ```ts
 * const options: BatchOptions = { cpu: 2, memory: 8192, useTmpfs: true, awsBatchTags: { team: 'ml' } };
 * ```
 */
export type BatchOptions = Readonly<z.input<z.ZodMiniObject<typeof fields>>>;

/** The options {@link parseBatchOptions} normalizes after the schema: lists and `logOptions` as a record. */
interface NormalizedBatchOptions {
  readonly logOptions: Readonly<Record<string, string>>;
  readonly hostVolumes: readonly string[];
  readonly efsVolumes: readonly string[];
  readonly awsBatchTags: Readonly<Record<string, string>>;
  readonly imagePackages: readonly string[];
}

/**
 * Options of `@batch` after parsing: the output type of the option schema (defaults filled in), with lists
 * and `logOptions` normalized. `cpu`, `gpu`, `memory` and `inferentia` stay unset when not given, so the
 * merge with `@resources` and the `trainium` alias can tell; `stepInit` writes the effective values back.
 *
 * @example
 * ```ts
 * const parsed: ParsedBatchOptions = parseBatchOptions({ memory: 8192 }, where);
 * parsed.tmpfsPath; // '/metaflow_temp'
 * ```
 */
export type ParsedBatchOptions = Readonly<
  Omit<z.output<typeof schema>, keyof NormalizedBatchOptions> & NormalizedBatchOptions
>;

const rules: OptionRules = {
  cpu: 'a number of vCPUs greater than 0',
  gpu: 'a whole number of GPUs, 0 or more',
  memory: 'a whole number of MiB greater than 0',
  image: 'a container image name, e.g. "node:22" or "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"',
  queue: 'a job queue name or ARN',
  iamRole: 'an IAM role ARN',
  executionRole: 'an IAM role ARN',
  sharedMemory: 'a whole number of MiB greater than 0',
  maxSwap: 'a whole number of MiB, 0 or more',
  swappiness: 'a whole number from 0 to 100',
  useTmpfs: 'true or false',
  tmpfsTempdir: 'true or false',
  tmpfsSize: 'a whole number of MiB greater than 0',
  tmpfsPath: 'an absolute path, e.g. "/metaflow_temp"',
  inferentia: 'a whole number of chips, 0 or more',
  trainium: 'a whole number of chips, 0 or more',
  efa: 'a whole number of devices, 0 or more',
  ephemeralStorage: 'a whole number of GiB from 21 to 200',
  logDriver: 'a log driver name, e.g. "awslogs"',
  logOptions: 'a list of "key:value" strings or an object of strings',
  hostVolumes: 'a path or a list of paths ("/host" or "/host:/container")',
  efsVolumes: 'an EFS id or a list of them ("fs-12345678" or "fs-12345678:/container")',
  privileged: 'true or false',
  awsBatchTags: 'an object of string tag values, e.g. { team: "ml" }',
  imagePackages:
    'npm package names the image provides, a list or comma-separated, e.g. ["sharp", "@duckdb/node-api"]',
};

/** Option names of `@batch`, in camelCase. */
export const BATCH_OPTION_NAMES: readonly string[] = Object.keys(rules);

function list(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

/**
 * A list of npm package names from a list or a comma-separated string: trimmed, without duplicates, sorted.
 *
 * @example
 * ```ts
 * packageList('sharp, @duckdb/node-api'); // ['@duckdb/node-api', 'sharp']
 * ```
 */
export function packageList(value: string | readonly string[] | undefined): string[] {
  const items = typeof value === 'string' ? value.split(',') : [...(value ?? [])];
  return [...new Set(items.map((s) => s.trim()).filter((s) => s !== ''))].sort();
}

function logOptionsRecord(
  value: string | readonly string[] | Readonly<Record<string, string>> | undefined,
  where: StepWhere,
): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'string' && !Array.isArray(value)) return { ...(value as Record<string, string>) };
  const out: Record<string, string> = {};
  for (const entry of list(value as string | readonly string[])) {
    const colon = entry.indexOf(':');
    if (colon <= 0) {
      throw batchOptionError(
        where,
        'logOptions',
        entry,
        'each entry of option "logOptions" must be "key:value", e.g. "awslogs-group:/aws/batch/job"',
      );
    }
    out[entry.slice(0, colon)] = entry.slice(colon + 1);
  }
  return out;
}

/**
 * Checks the shape of `@batch` options and fills the defaults (`useTmpfs` false, `tmpfsTempdir` true,
 * `tmpfsPath` `/metaflow_temp`, `efa` 0, `privileged` false); lists and `logOptions` are normalized.
 * Throws a `DecoratorOptionError` naming the option, the value and what is allowed.
 *
 * @example
 * ```ts
 * parseBatchOptions({ memory: 8192, logOptions: ['awslogs-group:/x'] }, where);
 * // { memory: 8192, logOptions: { 'awslogs-group': '/x' }, useTmpfs: false, tmpfsPath: '/metaflow_temp', ... }
 * ```
 */
export function parseBatchOptions(
  raw: Readonly<Record<string, unknown>>,
  where: StepWhere,
): ParsedBatchOptions {
  const parsed = parseDecoratorOptions('batch', schema, rules, raw, where);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) if (value !== undefined) out[key] = value;
  out.logOptions = logOptionsRecord(parsed.logOptions, where);
  out.hostVolumes = list(parsed.hostVolumes);
  out.efsVolumes = list(parsed.efsVolumes);
  out.awsBatchTags = { ...(parsed.awsBatchTags ?? {}) };
  out.imagePackages = packageList(parsed.imagePackages);
  for (const name of out.imagePackages as string[]) {
    if (!NPM_NAME.test(name)) {
      throw batchOptionError(
        where,
        'imagePackages',
        parsed.imagePackages,
        `option "imagePackages" must name npm packages, and ${JSON.stringify(name)} is not one`,
        'Write the names the flow imports, e.g. @batch({ imagePackages: ["sharp", "@duckdb/node-api"] }).',
      );
    }
  }
  return out as unknown as ParsedBatchOptions;
}
