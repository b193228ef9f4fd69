/**
 * What the launcher's unit tests share beside the fake Batch API (fake-batch-api.ts): an in-memory
 * storage that says it is S3 (the launcher requires an S3 datastore), a task launch spec, and reading a
 * launched task's output to its end.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import { MemoryStorage } from '../../src/datastore/memory-storage.js';
import type { TaskLaunchSpec } from '../../src/decorators/contract.js';

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
