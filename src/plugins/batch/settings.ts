/**
 * The settings `@batch` falls back on (`METAFLOW_BATCH_*`, `METAFLOW_ECS_*`, ...), and the image rules:
 * the default image, and the registry prefixed to an image that names none.
 *
 * @module
 */
import type { Config } from '../../config/index.js';
import { BatchConfigError } from './errors.js';
import { NPM_NAME, packageList } from './spec/options.js';

/** What `@batch` reads from the configuration, resolved once per step. */
export interface BatchSettings {
  /** `METAFLOW_BATCH_CONTAINER_IMAGE` (itself defaulting to `METAFLOW_DEFAULT_CONTAINER_IMAGE`). */
  readonly image?: string;
  /** `METAFLOW_BATCH_CONTAINER_REGISTRY` (itself defaulting to `METAFLOW_DEFAULT_CONTAINER_REGISTRY`). */
  readonly registry?: string;
  /** `METAFLOW_BATCH_JOB_QUEUE`. */
  readonly queue?: string;
  /** `METAFLOW_ECS_S3_ACCESS_IAM_ROLE`. */
  readonly iamRole?: string;
  /** `METAFLOW_ECS_FARGATE_EXECUTION_ROLE`. */
  readonly executionRole?: string;
  /** `METAFLOW_DEFAULT_RUNTIME_LIMIT`, seconds (432000: 5 days). */
  readonly runtimeLimitSeconds: number;
  /** `METAFLOW_BATCH_DEFAULT_TAGS`, values as strings. */
  readonly defaultTags: Readonly<Record<string, string>>;
  /** `METAFLOW_BATCH_EMIT_TAGS`: add the system tags (flow, run, step, user) to each job. */
  readonly emitTags: boolean;
  /** `STEPFLOW_BATCH_IMAGE_PACKAGES`: npm packages every `@batch` image provides (not shipped). */
  readonly imagePackages?: readonly string[];
  /** `STEPFLOW_BATCH_IMAGE_NODE_PATH`: the image's folders searched for them, in order. */
  readonly imageNodePath?: readonly string[];
}

/**
 * Reads the `@batch` settings from a loaded configuration. `METAFLOW_BATCH_DEFAULT_TAGS` values that are
 * numbers or booleans become strings; other values are an error naming the setting.
 *
 * @example
 * ```ts
 * const settings = batchSettings(loadConfig());
 * settings.queue; // the value of METAFLOW_BATCH_JOB_QUEUE, if set
 * ```
 */
export function batchSettings(config: Config): BatchSettings {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(config.get('BATCH_DEFAULT_TAGS'))) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      tags[key] = String(value);
    } else {
      throw new BatchConfigError(
        `METAFLOW_BATCH_DEFAULT_TAGS: the value of tag "${key}" must be a string (got ${JSON.stringify(value)}). ` +
          'Write the setting as a JSON object of strings, e.g. {"team": "ml"}.',
        { setting: 'METAFLOW_BATCH_DEFAULT_TAGS', option: 'awsBatchTags' },
      );
    }
  }
  return {
    image: config.get('BATCH_CONTAINER_IMAGE') || undefined,
    registry: config.get('BATCH_CONTAINER_REGISTRY') || undefined,
    queue: config.get('BATCH_JOB_QUEUE') || undefined,
    iamRole: config.get('ECS_S3_ACCESS_IAM_ROLE') || undefined,
    executionRole: config.get('ECS_FARGATE_EXECUTION_ROLE') || undefined,
    runtimeLimitSeconds: config.get('DEFAULT_RUNTIME_LIMIT'),
    defaultTags: tags,
    emitTags: config.get('BATCH_EMIT_TAGS'),
    imagePackages: imagePackagesSetting(config.get('BATCH_IMAGE_PACKAGES')),
    imageNodePath: config
      .get('BATCH_IMAGE_NODE_PATH')
      .split(':')
      .map((d) => d.trim())
      .filter((d) => d !== ''),
  };
}

/**
 * The packages of `STEPFLOW_BATCH_IMAGE_PACKAGES` (comma-separated npm names), checked: a name npm would
 * refuse is an error naming the setting.
 *
 * @example
 * ```ts
 * imagePackagesSetting('sharp,@duckdb/node-api'); // ['@duckdb/node-api', 'sharp']
 * ```
 */
export function imagePackagesSetting(value: string | undefined): string[] {
  const names = packageList(value);
  const bad = names.filter((n) => !NPM_NAME.test(n));
  if (bad.length > 0) {
    throw new BatchConfigError(
      `STEPFLOW_BATCH_IMAGE_PACKAGES: ${bad.map((b) => JSON.stringify(b)).join(', ')} ${bad.length === 1 ? 'is not an npm package name' : 'are not npm package names'}. ` +
        'Write the names the flow imports, comma-separated, e.g. STEPFLOW_BATCH_IMAGE_PACKAGES=sharp,@duckdb/node-api.',
      { setting: 'STEPFLOW_BATCH_IMAGE_PACKAGES', option: 'imagePackages' },
    );
  }
  return names;
}

/**
 * The official Node image of a Node version's major line: the default image of `@batch` steps, so the
 * container runs the same major version as the launching Node.
 *
 * @example
 * ```ts
 * defaultNodeImage('22.11.0'); // 'node:22'
 * defaultNodeImage();          // 'node:20' when launched by Node 20
 * ```
 */
export function defaultNodeImage(nodeVersion: string = process.versions.node): string {
  return `node:${nodeVersion.split('.')[0]}`;
}

/**
 * Whether an image reference starts with a registry host, by Docker's rule: the part before the first `/`
 * is a registry when it contains `.` or `:`, is `localhost`, or has upper-case letters.
 *
 * @example
 * ```ts
 * namesRegistry('docker.io/library/node'); // true
 * namesRegistry('localhost:5000/app');     // true
 * namesRegistry('node:22');                // false
 * namesRegistry('myorg/app');              // false
 * ```
 */
export function namesRegistry(image: string): boolean {
  const slash = image.indexOf('/');
  if (slash < 0) return false;
  const first = image.slice(0, slash);
  return /[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase();
}

/**
 * Prefixes `registry` to an image that names no registry; an image that names one is kept. A scheme and
 * trailing slashes of the registry are dropped (`https://reg.example.com/` → `reg.example.com`).
 *
 * @example
 * ```ts
 * withRegistry('node:22', 'reg.example.com/mirror'); // 'reg.example.com/mirror/node:22'
 * withRegistry('ghcr.io/org/app', 'reg.example.com'); // 'ghcr.io/org/app'
 * ```
 */
export function withRegistry(image: string, registry: string | undefined): string {
  const clean = registry?.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  if (!clean || namesRegistry(image)) return image;
  return `${clean}/${image}`;
}

/**
 * The image of a `@batch` step: the option, else `METAFLOW_BATCH_CONTAINER_IMAGE`, else the official Node
 * image of the launching Node's major version; then the registry prefix when it names no registry.
 *
 * @example
 * ```ts
 * resolveImage(undefined, { image: undefined, registry: 'reg.io' }, '20.19.0'); // 'reg.io/node:20'
 * ```
 */
export function resolveImage(
  option: string | undefined,
  settings: Pick<BatchSettings, 'image' | 'registry'>,
  nodeVersion?: string,
): string {
  return withRegistry(option ?? settings.image ?? defaultNodeImage(nodeVersion), settings.registry);
}

/**
 * `STEPFLOW_BATCH_ARRAYS` and `STEPFLOW_BATCH_ARRAY_MAX`: whether attempts of one step ready together go
 * as AWS Batch array jobs (default on; `0`, `false`, `off`, `no` turn it off: every attempt a plain job),
 * and the largest array (default and AWS's maximum 10000, at least 2; wider groups are split). Throws a
 * {@link BatchConfigError} for a size out of range.
 *
 * @example
 * ```ts
 * arraySettings({ STEPFLOW_BATCH_ARRAYS: 'off' }); // { enabled: false, max: 10000 }
 * ```
 */
export function arraySettings(env: Readonly<Record<string, string | undefined>>): {
  enabled: boolean;
  max: number;
} {
  const flag = (env.STEPFLOW_BATCH_ARRAYS ?? '').trim().toLowerCase();
  const enabled = !['0', 'false', 'off', 'no'].includes(flag);
  const raw = (env.STEPFLOW_BATCH_ARRAY_MAX ?? '').trim();
  const max = raw === '' ? ARRAY_SIZE_MAX : Number(raw);
  if (!Number.isInteger(max) || max < 2 || max > ARRAY_SIZE_MAX) {
    throw new BatchConfigError(
      `STEPFLOW_BATCH_ARRAY_MAX=${raw} is not a whole number from 2 to ${ARRAY_SIZE_MAX} (the sizes AWS Batch ` +
        'accepts for an array job). Set it in that range, or unset it for 10000.',
      { setting: 'STEPFLOW_BATCH_ARRAY_MAX' },
    );
  }
  return { enabled, max };
}

/**
 * AWS Batch's largest array job.
 *
 * @example
 * ```ts
 * Math.ceil(25_000 / ARRAY_SIZE_MAX); // 3 arrays
 * ```
 */
export const ARRAY_SIZE_MAX = 10_000;
