/**
 * The table of settings stepflow reads, as Metaflow names them: `METAFLOW_<NAME>` for the ones Metaflow has
 * (same names, types and defaults, so a team's Metaflow config works unchanged) and `STEPFLOW_<NAME>` for
 * stepflow's own. See `resolve.ts` for the precedence (environment > profile file > default).
 *
 * @module
 */
import path from 'node:path';
import { osUserName } from './os-user.js';
import type { DefaultContext, JsonObject, SettingDef, SettingType } from './setting-def.js';

export type { DefaultContext, JsonObject, JsonValue, SettingDef, SettingType } from './setting-def.js';

const underS3Root =
  (suffix: (ctx: DefaultContext) => string | undefined) =>
  (ctx: DefaultContext): string | undefined => {
    const root = ctx.string('DATASTORE_SYSROOT_S3');
    const tail = suffix(ctx);
    return root && tail !== undefined ? `${root.replace(/\/+$/, '')}/${tail}` : undefined;
  };

/**
 * Every setting, in the order `stepflow configure show` prints them.
 *
 * @example
 * ```ts
 * SETTINGS.find((s) => s.name === 'BATCH_JOB_QUEUE')?.help;
 * ```
 */
export const SETTINGS = [
  // Datastore and local files.
  {
    name: 'DEFAULT_DATASTORE',
    prefix: 'METAFLOW_',
    type: 'string',
    default: 'local',
    help: 'where runs are stored: local or s3 (`--datastore` overrides; @batch needs s3)',
  },
  {
    name: 'DATASTORE_SYSROOT_LOCAL',
    prefix: 'METAFLOW_',
    type: 'string',
    default: (ctx: DefaultContext): string => path.join(ctx.cwd, '.stepflow'),
    defaultText: '<cwd>/.stepflow',
    help: "root folder of the local datastore; default .stepflow in the working directory (stepflow's choice: Metaflow uses .metaflow)",
  },
  {
    name: 'DATASTORE_SYSROOT_S3',
    prefix: 'METAFLOW_',
    type: 'string',
    help: 'root of the S3 datastore, e.g. s3://bucket/metaflow',
  },
  {
    name: 'DATATOOLS_SUFFIX',
    prefix: 'METAFLOW_',
    type: 'string',
    default: 'data',
    help: 'see DATATOOLS_S3ROOT',
  },
  {
    name: 'DATATOOLS_S3ROOT',
    prefix: 'METAFLOW_',
    type: 'string',
    default: underS3Root((ctx) => ctx.string('DATATOOLS_SUFFIX')),
    defaultText: '<DATASTORE_SYSROOT_S3>/<DATATOOLS_SUFFIX>',
    help: 'S3 root of data written with the S3 client (S3(run=...))',
  },
  {
    name: 'CARD_S3ROOT',
    prefix: 'METAFLOW_',
    type: 'string',
    default: underS3Root(() => 'mf.cards'),
    defaultText: '<DATASTORE_SYSROOT_S3>/mf.cards',
    help: 'S3 root of cards',
  },
  {
    name: 'DEFAULT_METADATA',
    prefix: 'METAFLOW_',
    type: 'string',
    default: 'local',
    help: 'metadata provider (forwarded to containers)',
  },
  {
    name: 'TEMPDIR',
    prefix: 'METAFLOW_',
    type: 'string',
    default: '.',
    help: 'default temp root of the S3 client and current.tempdir',
  },
  {
    name: 'ARTIFACT_LOCALROOT',
    prefix: 'METAFLOW_',
    type: 'string',
    default: (ctx: DefaultContext): string => ctx.cwd,
    defaultText: '<cwd>',
    help: "temp folder of the datastore's S3 transfers",
  },
  // S3.
  {
    name: 'S3_ENDPOINT_URL',
    prefix: 'METAFLOW_',
    type: 'string',
    help: 'endpoint of an S3-compatible store (MinIO, ...); forwarded to containers',
  },
  {
    name: 'S3_VERIFY_CERTIFICATE',
    prefix: 'METAFLOW_',
    type: 'string',
    help: 'TLS verification of S3 calls: a CA bundle path (unset: system CAs)',
  },
  {
    name: 'S3_SERVER_SIDE_ENCRYPTION',
    prefix: 'METAFLOW_',
    type: 'string',
    help: 'ServerSideEncryption of S3 puts (AES256, aws:kms); forwarded to containers',
  },
  {
    name: 'S3_RETRY_COUNT',
    prefix: 'METAFLOW_',
    type: 'number',
    integer: true,
    min: 0,
    default: 7,
    help: 'retries of a failed S3 operation',
  },
  {
    name: 'S3_TRANSIENT_RETRY_COUNT',
    prefix: 'METAFLOW_',
    type: 'number',
    integer: true,
    min: 0,
    default: 20,
    help: 'retries of transient failures in batched S3 operations',
  },
  {
    name: 'S3_WORKER_COUNT',
    prefix: 'METAFLOW_',
    type: 'number',
    integer: true,
    min: 1,
    default: 64,
    help: 'parallel S3 transfers of *_many operations',
  },
  {
    name: 'S3_LOG_TRANSIENT_RETRIES',
    prefix: 'METAFLOW_',
    type: 'boolean',
    default: false,
    help: 'print the progress of transient S3 retries',
  },
  {
    name: 'S3_CLIENT_RETRY_CONFIG',
    prefix: 'METAFLOW_',
    type: 'json',
    default: { max_attempts: 10, mode: 'adaptive' },
    help: 'retry settings of S3 clients (JSON object)',
  },
  {
    name: 'DATATOOLS_CLIENT_PARAMS',
    prefix: 'METAFLOW_',
    type: 'json',
    default: {},
    secret: true,
    help: 'extra S3 client parameters (JSON object; may hold credentials)',
  },
  {
    name: 'DATATOOLS_SESSION_VARS',
    prefix: 'METAFLOW_',
    type: 'json',
    default: {},
    secret: true,
    help: 'extra AWS session variables of the S3 client (JSON object; may hold credentials)',
  },
  // AWS Batch.
  {
    name: 'BATCH_JOB_QUEUE',
    prefix: 'METAFLOW_',
    type: 'string',
    help: '@batch queue (name or ARN); unset: the first enabled, valid queue',
  },
  {
    name: 'ECS_S3_ACCESS_IAM_ROLE',
    prefix: 'METAFLOW_',
    type: 'string',
    help: '@batch iam_role: the role of the container (job role ARN)',
  },
  {
    name: 'ECS_FARGATE_EXECUTION_ROLE',
    prefix: 'METAFLOW_',
    type: 'string',
    help: '@batch execution_role: the Fargate task execution role ARN (required on Fargate)',
  },
  {
    name: 'DEFAULT_CONTAINER_IMAGE',
    prefix: 'METAFLOW_',
    type: 'string',
    help: 'default image of containers',
  },
  {
    name: 'DEFAULT_CONTAINER_REGISTRY',
    prefix: 'METAFLOW_',
    type: 'string',
    help: 'default registry of images named without one',
  },
  {
    name: 'BATCH_CONTAINER_IMAGE',
    prefix: 'METAFLOW_',
    type: 'string',
    default: (ctx: DefaultContext): string | undefined => ctx.string('DEFAULT_CONTAINER_IMAGE'),
    defaultText: '<DEFAULT_CONTAINER_IMAGE>',
    help: '@batch image when the decorator names none',
  },
  {
    name: 'BATCH_CONTAINER_REGISTRY',
    prefix: 'METAFLOW_',
    type: 'string',
    default: (ctx: DefaultContext): string | undefined => ctx.string('DEFAULT_CONTAINER_REGISTRY'),
    defaultText: '<DEFAULT_CONTAINER_REGISTRY>',
    help: 'registry prefixed to @batch images named without one',
  },
  {
    name: 'BATCH_EMIT_TAGS',
    prefix: 'METAFLOW_',
    type: 'boolean',
    default: false,
    help: 'send tags with SubmitJob (needs batch:TagResource); without it, no tags are sent at all',
  },
  {
    name: 'BATCH_DEFAULT_TAGS',
    prefix: 'METAFLOW_',
    type: 'json',
    default: {},
    help: 'tags of every @batch job, under the decorator aws_batch_tags (JSON object)',
  },
  {
    name: 'BATCH_CLIENT_PARAMS',
    prefix: 'METAFLOW_',
    type: 'json',
    default: {},
    secret: true,
    help: 'extra AWS Batch client parameters, e.g. an endpoint (JSON object; may hold credentials)',
  },
  {
    name: 'DEFAULT_RUNTIME_LIMIT',
    prefix: 'METAFLOW_',
    type: 'number',
    integer: true,
    min: 1,
    default: 432000,
    help: 'attempt time limit in seconds of @batch steps without @timeout (5 days)',
  },
  // Services forwarded to containers.
  { name: 'SERVICE_URL', prefix: 'METAFLOW_', type: 'string', help: 'metadata service URL' },
  {
    name: 'SERVICE_INTERNAL_URL',
    prefix: 'METAFLOW_',
    type: 'string',
    default: (ctx: DefaultContext): string | undefined => ctx.string('SERVICE_URL'),
    defaultText: '<SERVICE_URL>',
    help: 'metadata service URL as seen from containers',
  },
  {
    name: 'SERVICE_HEADERS',
    prefix: 'METAFLOW_',
    type: 'json',
    default: {},
    secret: true,
    help: 'HTTP headers of metadata service calls (JSON object)',
  },
  {
    name: 'SERVICE_AUTH_KEY',
    prefix: 'METAFLOW_',
    type: 'string',
    secret: true,
    help: 'metadata service API key (x-api-key)',
  },
  {
    name: 'DEFAULT_SECRETS_BACKEND_TYPE',
    prefix: 'METAFLOW_',
    type: 'string',
    help: 'secrets backend; forwarded to containers when set',
  },
  {
    name: 'AWS_SECRETS_MANAGER_DEFAULT_REGION',
    prefix: 'METAFLOW_',
    type: 'string',
    help: 'Secrets Manager region; forwarded to containers when set',
  },
  { name: 'OTEL_ENDPOINT', prefix: 'METAFLOW_', type: 'string', help: 'OpenTelemetry endpoint; forwarded' },
  {
    name: 'OTEL_SERVICE_NAME',
    prefix: 'METAFLOW_',
    type: 'string',
    default: 'metaflow',
    help: 'OpenTelemetry service name; forwarded',
  },
  {
    name: 'FEAT_ALWAYS_UPLOAD_CODE_PACKAGE',
    prefix: 'METAFLOW_',
    type: 'boolean',
    default: false,
    help: 'upload the code package when the run starts, even without remote steps',
  },
  {
    name: 'USER',
    prefix: 'METAFLOW_',
    type: 'string',
    default: (ctx: DefaultContext): string => osUserName(ctx.env),
    defaultText: '<OS user>',
    help: 'who runs flows (run tags user:<name>, the default namespace)',
  },
  // stepflow's own.
  {
    name: 'MAX_WORKERS',
    prefix: 'STEPFLOW_',
    type: 'number',
    integer: true,
    min: 1,
    default: 16,
    help: 'without run --max-workers: most tasks running at once on this machine',
  },
  {
    name: 'MAX_REMOTE_WORKERS',
    prefix: 'STEPFLOW_',
    type: 'number',
    integer: true,
    min: 1,
    default: 10000,
    help: 'without run --max-workers: most remote (@batch) tasks in flight; the compute environment bounds them',
  },
  {
    name: 'SPOT_RETRIES',
    prefix: 'STEPFLOW_',
    type: 'number',
    integer: true,
    min: 0,
    default: 3,
    help: 'extra attempts of a @batch task whose spot instance was reclaimed',
  },
  {
    name: 'BATCH_API_DEADLINE_S',
    prefix: 'STEPFLOW_',
    type: 'number',
    min: 1,
    default: 600,
    help: 'seconds @batch keeps retrying a failing DescribeJobs before the attempts fail (jobs left for batch kill)',
  },
  {
    name: 'BATCH_PLATFORM',
    prefix: 'STEPFLOW_',
    type: 'string',
    help: "platform of @batch jobs (linux-x64 or linux-arm64), over the job queue's instance types (Graviton → arm64) and Fargate's default x64; dependencies are built for it",
  },
  {
    name: 'BATCH_IMAGE_PACKAGES',
    prefix: 'STEPFLOW_',
    type: 'string',
    help: 'npm packages the @batch image provides, comma-separated (e.g. sharp,@duckdb/node-api): not shipped in the dependency layer, resolved from the image (option imagePackages adds to it)',
  },
  {
    name: 'BATCH_IMAGE_NODE_PATH',
    prefix: 'STEPFLOW_',
    type: 'string',
    default: '/app/node_modules:/usr/local/lib/node_modules:/usr/lib/node_modules',
    help: "folders of the @batch image searched for the image's packages, colon-separated, first match wins",
  },
  {
    name: 'LAYER_MAX_MB',
    prefix: 'STEPFLOW_',
    type: 'number',
    min: 1,
    default: 2048,
    help: 'largest dependency layer (native, WASM and data-file packages shipped beside the bundle), in MiB',
  },
] as const satisfies readonly SettingDef[];

/** The name (without prefix) of a setting. */
export type SettingName = (typeof SETTINGS)[number]['name'];

type DefOf<N extends SettingName> = Extract<(typeof SETTINGS)[number], { readonly name: N }>;
type BaseValue<T extends SettingType> = T extends 'string'
  ? string
  : T extends 'number'
    ? number
    : T extends 'boolean'
      ? boolean
      : JsonObject;
type Missing<D> = D extends { readonly default: (ctx: DefaultContext) => infer R }
  ? undefined extends R
    ? undefined
    : never
  : D extends { readonly default: unknown }
    ? never
    : undefined;

/**
 * The type of a setting's effective value: `undefined` only when the setting may have no value.
 *
 * @example
 * ```ts
 * const n: SettingValue<'S3_RETRY_COUNT'> = 7;
 * const q: SettingValue<'BATCH_JOB_QUEUE'> = undefined;
 * ```
 */
export type SettingValue<N extends SettingName> = BaseValue<DefOf<N>['type']> | Missing<DefOf<N>>;

const BY_NAME: ReadonlyMap<string, SettingDef> = new Map(SETTINGS.map((s) => [s.name, s]));

/**
 * The definition of a setting by name (without prefix), or `undefined`.
 *
 * @example
 * ```ts
 * settingDef('MAX_WORKERS')?.prefix; // 'STEPFLOW_'
 * ```
 */
export function settingDef(name: string): SettingDef | undefined {
  return BY_NAME.get(name);
}

/**
 * The environment variable (and profile key) of a setting: prefix + name.
 *
 * @example
 * ```ts
 * variableName(settingDef('MAX_WORKERS')!); // 'STEPFLOW_MAX_WORKERS'
 * ```
 */
export function variableName(def: SettingDef): string {
  return `${def.prefix}${def.name}`;
}
