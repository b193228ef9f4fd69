import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type CurrentInfo, current, setCurrent } from './current.js';

const info: CurrentInfo = {
  flowName: 'F',
  runId: '17',
  stepName: 'train',
  taskId: '4',
  retryCount: 1,
  tempdir: '/tmp/x',
  pathspec: 'F/17/train/4',
  username: 'me',
};

afterEach(() => setCurrent(undefined));

describe('current', () => {
  it('outside a task nothing is running and every field is undefined', () => {
    assert.equal(current.isRunning, false);
    for (const key of Object.keys(info) as Array<keyof CurrentInfo>)
      assert.equal(current[key], undefined, key);
    assert.equal(current.originRunId, undefined);
  });

  it('setCurrent sets every field, and clearing it resets them', () => {
    setCurrent(info);
    assert.equal(current.isRunning, true);
    for (const key of Object.keys(info) as Array<keyof CurrentInfo>)
      assert.equal(current[key], info[key], key);
    assert.equal(current.originRunId, undefined);
    setCurrent({ ...info, originRunId: '12' });
    assert.equal(current.originRunId, '12');
    setCurrent(undefined);
    assert.equal(current.isRunning, false);
    assert.equal(current.pathspec, undefined);
  });

  it('the state is shared through a global registry key (two framework copies agree)', () => {
    const holder = (globalThis as unknown as Record<symbol, { info?: CurrentInfo }>)[
      Symbol.for('stepflow.current')
    ];
    holder.info = { ...info, stepName: 'other' };
    assert.equal(current.stepName, 'other');
    assert.equal(current.isRunning, true);
  });
});
