import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CountingStorage } from '../../../../test/support/counting-storage.js';
import {
  batchStep,
  collect,
  fakeLaunchSpec,
  S3Memory,
  testLauncher,
} from '../../../../test/support/fake-launch.js';
import type { TaskLaunchSpec } from '../../../decorators/contract.js';
import type { BatchLauncher } from './launcher.js';

function setup() {
  const storage = new CountingStorage(new S3Memory());
  const { api, launcher } = testLauncher({ steps: [batchStep('train')], storage: storage as never });
  return { api, storage, launcher };
}

/** Launches `n` attempts of `train` whose output is printed (`printed`) or not, and waits for their ends. */
async function runChildren(launcher: BatchLauncher, n: number, printed: boolean | undefined) {
  const specs: TaskLaunchSpec[] = Array.from({ length: n }, (_, i) => ({
    ...fakeLaunchSpec('train', String(10 + i)),
    ...(printed === undefined ? {} : { outputPrinted: () => printed }),
  }));
  const tasks = specs.map((s) => launcher.launch(s));
  for (const t of tasks) {
    void collect(t.stdout);
    void collect(t.stderr);
  }
  return Promise.all(tasks.map((t) => t.done));
}

/** Reads of the tasks' logs (segments and the completion marker), per child. */
function logReads(storage: CountingStorage, n: number): number {
  return storage.reads.filter((k) => /^F\/1\/train\/\d+\/\d+\.(.*\.log|logs\.json)$/.test(k)).length / n;
}

describe('@batch children whose output is not printed (fake Batch API, in-memory S3 with counted reads)', () => {
  it('a succeeded child whose lines nobody prints costs no log reads; a printed one reads its logs', async () => {
    const quiet = setup();
    const outcomes = await runChildren(quiet.launcher, 6, false);
    assert.deepEqual(
      outcomes.map((o) => o.exitCode),
      [0, 0, 0, 0, 0, 0],
    );
    assert.equal(logReads(quiet.storage, 6), 0);
    quiet.launcher.close();

    const printed = setup();
    await runChildren(printed.launcher, 6, undefined);
    assert.ok(logReads(printed.storage, 6) >= 1, `reads per printed child: ${logReads(printed.storage, 6)}`);
    printed.launcher.close();
  });

  it('a FAILED child reads its logs even when they are not printed (its failure quotes its last lines)', async () => {
    const { api, storage, launcher } = setup();
    api.plan = ({ arrayIndex }) =>
      arrayIndex === 1 ? { status: 'FAILED', exitCode: 3 } : { status: 'SUCCEEDED' };
    const outcomes = await runChildren(launcher, 3, false);
    assert.deepEqual(
      outcomes.map((o) => o.exitCode),
      [0, 3, 0],
    );
    const read = new Set(storage.reads.filter((k) => k.endsWith('logs.json')).map((k) => k.split('/')[3]));
    assert.deepEqual([...read], ['11']);
    launcher.close();
  });

  it("an array's children write their records a few at a time (recordWrites), not all at once", async () => {
    const memory = new S3Memory();
    let writing = 0;
    let peak = 0;
    const put = memory.put.bind(memory);
    memory.put = async (key, body, options) => {
      if (!key.endsWith('.batch.json')) return put(key, body, options);
      peak = Math.max(peak, ++writing);
      await new Promise((r) => setTimeout(r, 2));
      writing--;
      return put(key, body, options);
    };
    const { launcher } = testLauncher({ steps: [batchStep('train')], storage: memory, recordWrites: 2 });
    const outcomes = await runChildren(launcher, 6, false);
    assert.equal(outcomes.filter((o) => o.exitCode === 0).length, 6);
    assert.equal(peak, 2);
    assert.ok(await memory.get('F/1/train/15/0.batch.json'));
    launcher.close();
  });
});
