/**
 * The arrays tests' harness (test/e2e/batch/arrays*.batch.test.ts): the array flow run with the CLI on the
 * local AWS Batch stand-in, and the `<attempt>.batch.json` records of its `work` tasks by item.
 *
 * @module
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Flow, setDatastore } from '../../src/client/index.js';
import { S3Storage } from '../../src/datastore/s3/s3-storage.js';
import type { BatchJobRecord } from '../../src/plugins/batch/index.js';
import { type CliResult, runCli, type Workspace, workspace } from '../e2e/helpers.js';
import { type BatchTestEnv, batchCliEnv, readBatchEnv } from './batch.js';

/** The flow of the arrays tests. */
export const ARRAY_FLOW = join(
  fileURLToPath(new URL('../e2e/batch/flows', import.meta.url)),
  'array-flow.ts',
);

/**
 * A workspace, a datastore root on the stand-in's bucket, and the helpers of the arrays tests.
 *
 * @example
 * ```ts
 * const h = await arraysHarness('e2e-arrays');
 * const r = await h.run('run', ['--width', '50']);
 * ```
 */
export async function arraysHarness(name: string) {
  const ws: Workspace = await workspace();
  const env: BatchTestEnv | undefined = readBatchEnv();
  const root = env ? `s3://${env.bucket}/${name}-${Date.now()}` : '';
  let storage: S3Storage | undefined;
  if (env) {
    Object.assign(process.env, batchCliEnv(env));
    setDatastore({ kind: 's3', root });
    storage = new S3Storage(root, {
      endpoint: env.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  }
  const cliEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv =>
    batchCliEnv(env as BatchTestEnv, { METAFLOW_USER: 'array-tester', ...extra });
  return {
    ws,
    root,
    cliEnv,
    /** `stepflow run|resume` of the array flow; `runId` from its first line. */
    async run(
      command: 'run' | 'resume',
      args: readonly string[],
      extra: Record<string, string> = {},
    ): Promise<CliResult & { runId: string }> {
      const result = await runCli(
        [command, ARRAY_FLOW, '--datastore', 's3', '--datastore-root', root, ...args],
        { cwd: ws.dir, env: cliEnv(extra) },
      );
      const runId = /ArrayBatchFlow\/(\d+)/.exec(result.stdout)?.[1] ?? '';
      return { ...result, runId };
    },
    /** The records of the `work` tasks of a run, by item (-1: a task that stored no artifacts). */
    async records(runId: string): Promise<Map<number, BatchJobRecord[]>> {
      const step = await (await new Flow('ArrayBatchFlow', { namespace: null }).run(runId)).step('work');
      const out = new Map<number, BatchJobRecord[]>();
      for (const task of await step.tasks()) {
        const item = Number((await task.data().catch(() => ({ item: -1 }))).item ?? -1);
        const list: BatchJobRecord[] = [];
        for (let attempt = 0; attempt < 2; attempt++) {
          const raw = await storage?.get(`ArrayBatchFlow/${runId}/work/${task.id}/${attempt}.batch.json`);
          if (raw) list.push(JSON.parse(raw.toString('utf8')) as BatchJobRecord);
        }
        out.set(item, list);
      }
      return out;
    },
    async cleanup(): Promise<void> {
      setDatastore(undefined);
      storage?.close();
      await ws.cleanup();
    },
  };
}

/** What {@link arraysHarness} gives. */
export type ArraysHarness = Awaited<ReturnType<typeof arraysHarness>>;
