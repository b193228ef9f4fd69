import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskError, TaskSpecError } from './errors.js';
import { parseTaskArgs, SPEC_ARG_MAX, type TaskSpec, taskArgs, taskCommand } from './spec.js';

const spec: TaskSpec = {
  flowName: 'F',
  runId: '1700000000000000',
  stepName: 'train',
  taskId: '7',
  attempt: 1,
  maxAttempts: 3,
  errorRetries: 0,
  inputs: ['start/1'],
  foreachStack: [{ step: 'start', taskId: '1', field: 'xs', index: 2, count: 4 }],
  storage: { kind: 'local', root: '/tmp/ds' },
  maxNumSplits: 100,
  decorators: [{ name: 'retry', options: { times: 2 }, source: 'static' }],
};

describe('spec', () => {
  it('taskArgs and parseTaskArgs round-trip a spec', () => {
    const args = taskArgs(spec);
    assert.equal(args.length, 2);
    assert.equal(args[0], 'step');
    assert.deepEqual(parseTaskArgs(args), spec);
    assert.deepEqual(parseTaskArgs([...args, 'ignored']), spec);
  });

  function specError(argv: string[], text: RegExp): void {
    assert.throws(
      () => parseTaskArgs(argv),
      (err: unknown) => err instanceof TaskSpecError && err instanceof TaskError && text.test(err.message),
      argv.join(' '),
    );
  }

  it('malformed command lines are TaskSpecErrors that say what was expected', () => {
    specError([], /expected the arguments `step <json spec>`, got ``/);
    specError(['step'], /got `step`/);
    specError(['run', '{}'], /stepflow run flow\.ts/);
    specError(['step', '{not json'], /not valid JSON/);
    const noCause = (() => {
      try {
        parseTaskArgs(['step', '{']);
      } catch (err) {
        return (err as Error).cause;
      }
    })();
    assert.ok(noCause instanceof SyntaxError);
  });

  it('a spec without flowName, runId, stepName or taskId is refused', () => {
    for (const key of ['flowName', 'runId', 'stepName', 'taskId'] as const) {
      specError(['step', JSON.stringify({ ...spec, [key]: undefined })], new RegExp(`has no ${key}`));
      specError(['step', JSON.stringify({ ...spec, [key]: '' })], new RegExp(`has no ${key}`));
      specError(['step', JSON.stringify({ ...spec, [key]: 7 })], new RegExp(`has no ${key}`));
    }
  });

  it('a spec longer than SPEC_ARG_MAX goes through stdin (`step -`), a short one on the command line', () => {
    assert.deepEqual(taskCommand(spec), { args: taskArgs(spec) });
    const wide = { ...spec, inputs: Array.from({ length: 10_000 }, (_, i) => `work/${i + 2}`) };
    const { args, stdin } = taskCommand(wide);
    assert.deepEqual(args, ['step', '-']);
    assert.ok((stdin ?? '').length > SPEC_ARG_MAX);
    assert.deepEqual(
      parseTaskArgs(args, () => stdin ?? ''),
      wide,
    );
    assert.throws(() => parseTaskArgs(['step', '-'], () => '{'), /not valid JSON/);
  });
});
