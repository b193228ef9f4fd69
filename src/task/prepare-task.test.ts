import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FlowDatastore, openStorage } from '../datastore/index.js';
import { openAttempt } from './prepare-task.js';
import type { TaskSpec } from './spec.js';

const root = mkdtempSync(join(tmpdir(), 'stepflow-prepare-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('openAttempt: the inputs of a join', () => {
  it("takes the inputs' artifacts the runtime handed over, reading no input record; reads the others", async () => {
    const storage = await openStorage({ kind: 'local', root });
    const fds = new FlowDatastore(storage, 'JoinFlow');
    // The attempt only looks its own step up in the run's graph.
    const graph = { flowName: 'JoinFlow', steps: { join: { name: 'join', kind: 'join', next: ['end'] } } };
    await fds.writeRun({
      flowName: 'JoinFlow',
      runId: '1',
      user: 'u',
      tags: [],
      startedAt: '',
      graph,
      parameters: {},
    });
    const refs = await Promise.all([0, 1, 2].map((i) => fds.saveArtifacts({ item: i })));
    // Only body/4 has records in the datastore: body/2 and body/3 exist only in what the runtime handed over.
    await fds.task('1', 'body', '4').writeData(1, refs[2] ?? {});
    await fds.task('1', 'body', '4').writeDone(1, { attempt: 1, ok: true, endedAt: '' });
    const spec: TaskSpec = {
      flowName: 'JoinFlow',
      runId: '1',
      stepName: 'join',
      taskId: '5',
      attempt: 0,
      maxAttempts: 1,
      errorRetries: 0,
      inputs: ['body/2', 'body/3', 'body/4'],
      inputData: [{ attempt: 0, refs: refs[0] ?? {} }, { attempt: 0, refs: refs[1] ?? {} }, null],
      foreachStack: [],
      storage: { kind: 'local', root },
      maxNumSplits: 100,
      decorators: [],
    };
    const opened = await openAttempt(spec);
    assert.deepEqual(
      opened.inputs.map((i) => [i.taskId, i.refs.item?.sha]),
      [
        ['2', refs[0]?.item?.sha],
        ['3', refs[1]?.item?.sha],
        ['4', refs[2]?.item?.sha],
      ],
    );
    const { inputData: _, ...withoutData } = spec;
    await assert.rejects(
      openAttempt(withoutData),
      /input task JoinFlow\/1\/body\/2 has no completed attempt/,
    );
  });
});
