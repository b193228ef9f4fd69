/**
 * What the launcher's unit tests share beside the fake Batch API (fake-batch-api.ts): an in-memory
 * storage that says it is S3 (the launcher requires an S3 datastore), a resolved `@batch` step, a
 * launcher on the fake API, a task launch spec, and reading a launched task's output to its end.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import { MemoryStorage } from '../../src/datastore/memory-storage.js';
import type { RuntimeRunContext, TaskLaunchSpec } from '../../src/decorators/contract.js';
import type { CodePackage } from '../../src/package/types.js';
import type { BatchApi } from '../../src/plugins/batch/aws.js';
import { BatchLauncher, type BatchLauncherOptions } from '../../src/plugins/batch/jobs/launcher.js';
import type { BatchSettings } from '../../src/plugins/batch/settings.js';
import { parseBatchOptions } from '../../src/plugins/batch/spec/options.js';
import { type ResolvedBatch, resolveBatch } from '../../src/plugins/batch/spec/resolve.js';
import { FakeBatchApi } from './fake-batch-api.js';

/**
 * In-memory storage rooted at `s3://bucket/runs` that passes the launcher's S3 check.
 *
 * @example
 * ```ts
 * const storage = new S3Memory();
 * storage.kind; // 's3'
 * ```
 */
export class S3Memory extends MemoryStorage {
  override readonly kind = 's3' as 'memory';
  constructor() {
    super('s3://bucket/runs');
  }
}

/**
 * The launch spec of attempt `attempt` of task `F/1/<stepName>/<taskId>` on `s3://bucket/runs`.
 *
 * @example
 * ```ts
 * launcher.launch(fakeLaunchSpec('train', '2'));
 * ```
 */
export function fakeLaunchSpec(
  stepName: string,
  taskId = '2',
  attempt = 0,
  env: Readonly<Record<string, string>> = {},
): TaskLaunchSpec {
  return {
    task: {
      flowName: 'F',
      runId: '1',
      stepName,
      taskId,
      attempt,
      maxAttempts: 1,
      errorRetries: 0,
      inputs: [],
      foreachStack: [],
      storage: { kind: 's3', root: 's3://bucket/runs' },
      maxNumSplits: 100,
      decorators: [],
    },
    pathspec: `F/1/${stepName}/${taskId}`,
    codePackage: 'a'.repeat(64),
    bundlePath: '/nowhere/bundle.mjs',
    env,
  };
}

/**
 * Everything a stream gives until it ends, as text.
 *
 * @example
 * ```ts
 * const [stdout, outcome] = await Promise.all([collect(task.stdout), task.done]);
 * ```
 */
export function collect(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (d: Buffer) => {
      text += d;
    });
    stream.on('end', () => resolve(text));
  });
}

/**
 * A resolved `@batch` step `<flowName>.<stepName>` (flow `F` by default) on queue `q`, with the default
 * runtime limit, no tags and Node 20.19.0 as the launching version; `options` are the decorator's,
 * `settings` override the configuration's.
 *
 * @example
 * ```ts
 * const step = batchStep('train', { options: { cpu: 2 }, settings: { queue: 'gpu' } });
 * ```
 */
export function batchStep(
  stepName: string,
  {
    flowName = 'F',
    options = {},
    settings = {},
  }: { flowName?: string; options?: Record<string, unknown>; settings?: Partial<BatchSettings> } = {},
): ResolvedBatch {
  const where = { flowName, stepName };
  return resolveBatch({
    where,
    options: parseBatchOptions(options, where),
    settings: { queue: 'q', runtimeLimitSeconds: 432000, defaultTags: {}, emitTags: false, ...settings },
    nodeVersion: '20.19.0',
  });
}

/** What {@link testLauncher} takes: the launcher's options, each with a test default. */
export interface TestLauncherInput<A extends BatchApi>
  extends Partial<Omit<BatchLauncherOptions, 'run' | 'api'>> {
  /** Default: a new {@link FakeBatchApi}. */
  readonly api?: A;
  /** Default: a new {@link S3Memory}. */
  readonly storage?: MemoryStorage;
  /** Added to (or overriding) the run context of flow `F`, run `1`, user `jane`. */
  readonly run?: Partial<RuntimeRunContext>;
}

/**
 * A {@link BatchLauncher} of run `F/1` (user `jane`, code package `aaa…`) on a fake Batch API and an
 * in-memory S3, polling every 5 ms, with no launching environment and a package store that stores
 * nothing; `input` overrides any of these. Also returns the parts, the notices printed, and the options
 * (`new BatchLauncher(options)` makes a second launcher of the same run).
 *
 * @example
 * ```ts
 * const { api, launcher, notices } = testLauncher({ steps: [batchStep('train')] });
 * await launcher.prepare();
 * ```
 */
export function testLauncher<A extends BatchApi = FakeBatchApi>(input: TestLauncherInput<A> = {}) {
  const { api: given, storage: givenStorage, run: runExtra, ...rest } = input;
  const api = (given ?? new FakeBatchApi()) as A;
  const storage = givenStorage ?? new S3Memory();
  const notices: string[] = [];
  const run: RuntimeRunContext = {
    flowName: 'F',
    runId: '1',
    storage,
    user: 'jane',
    codePackage: { sha: 'a'.repeat(64) } as CodePackage,
    notice: (m) => notices.push(m),
    ...runExtra,
  };
  const options: BatchLauncherOptions = {
    steps: [batchStep('train')],
    pollMs: 5,
    env: {},
    storePackage: async () => ({ sha: 'b'.repeat(64), url: 's3://bucket/runs/F/data/bb/pkg' }),
    ...rest,
    run,
    api,
  };
  return { api, storage, notices, run, options, launcher: new BatchLauncher(options) };
}

/** The job role of {@link SPEC_SETTINGS}. */
export const JOB_ROLE = 'arn:aws:iam::123456789012:role/job';
/** The Fargate execution role of {@link SPEC_SETTINGS}. */
export const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/exec';

/**
 * The `@batch` settings of the job definition and request tests: queue `q`, both roles, the default
 * runtime limit, no tags.
 *
 * @example
 * ```ts
 * resolveBatch({ where, options: parseBatchOptions({}, where), settings: { ...SPEC_SETTINGS, queue: 'gpu' } });
 * ```
 */
export const SPEC_SETTINGS: BatchSettings = {
  queue: 'q',
  iamRole: JOB_ROLE,
  executionRole: EXECUTION_ROLE,
  runtimeLimitSeconds: 432000,
  defaultTags: {},
  emitTags: false,
};
