import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeGraph, setup } from './scheduler-fakes.test.js';

const graph = makeGraph({
  start: { next: ['body'], foreach: 'xs' },
  body: { next: ['join'] },
  join: { next: ['end'], join: 'start' },
  end: {},
});

describe('scheduler: a join is handed what the runtime read of its inputs', () => {
  it("each input's succeeded attempt and artifacts (from its done record), in the join's input order", async () => {
    const run = setup(graph, {
      count: () => 30,
      // Later items end first: arrival order is not input order.
      behave: (spec) => ({ delayMs: spec.task.stepName === 'body' ? 40 - Number(spec.task.taskId) : 1 }),
    });
    const summary = await run.scheduler.run();
    assert.equal(summary.status, 'successful');
    const [join] = run.tasks('join');
    assert.ok(join?.inputData, 'the join spec carries input data');
    assert.equal(join.inputData.length, 30);
    join.inputs.forEach((input, i) => {
      assert.deepEqual(join.inputData?.[i], {
        attempt: 0,
        refs: { from: { sha: `${input}@0`, size: 1, encoding: 'v8', type: 'string' } },
      });
    });
    const [end] = run.tasks('end');
    assert.equal(end?.inputData, undefined, 'a linear step reads its one input itself');
  });

  it('a join of clones made by resume is handed the refs each clone copied', async () => {
    const ref = (taskId: string) => ({ sha: `clone-${taskId}`, size: 1, encoding: 'v8', type: 'string' });
    const run = setup(graph, {
      count: () => 5,
      scheduler: {
        cloner: async (task) =>
          task.step === 'body'
            ? {
                transition: { targets: ['join'] },
                from: `F/0/body/${task.taskId}`,
                data: { from: ref(task.taskId) },
              }
            : undefined,
      },
    });
    assert.equal((await run.scheduler.run()).status, 'successful');
    const [join] = run.tasks('join');
    assert.deepEqual(
      join?.inputData,
      join?.inputs.map((input) => ({ attempt: 0, refs: { from: ref(input.split('/')[1] ?? '') } })),
    );
  });
});
