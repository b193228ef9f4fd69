import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseLook, type LookInput } from './array-look.js';

const base: LookInput = {
  summary: { RUNNING: 2000, SUCCEEDED: 8000 },
  last: { RUNNING: 2050, SUCCEEDED: 7950 },
  followed: 2050,
  budget: 1,
};

describe('chooseLook: how and when the children of an array are looked up', () => {
  it('makes no look while no child ended and none is new', () => {
    assert.equal(chooseLook({ ...base, summary: base.last }), undefined);
  });

  it('takes the cheapest look: few followed children are described, a large share that ended is listed', () => {
    assert.deepEqual(
      chooseLook({
        ...base,
        followed: 60,
        summary: { RUNNING: 10, SUCCEEDED: 9990 },
        last: { RUNNING: 60, SUCCEEDED: 9940 },
      }),
      {
        kind: 'describe',
        cost: 1,
      },
    );
    const ended = chooseLook({
      ...base,
      summary: { RUNNING: 0, RUNNABLE: 7000, SUCCEEDED: 3000 },
      last: { RUNNABLE: 7000, RUNNING: 2000, SUCCEEDED: 1000 },
      budget: 20,
    });
    assert.deepEqual(ended, { kind: 'ended', list: ['SUCCEEDED'], cost: 3 });
  });

  it('makes a whole look only when it fits the budget of this cycle (one call per 100 children that ended)', () => {
    assert.equal(
      chooseLook(base),
      undefined,
      'a budget of 1 call, the cheapest look costs 8: SUCCEEDED is swept instead',
    );
    assert.deepEqual(chooseLook({ ...base, budget: 8 }), { kind: 'ended', list: ['SUCCEEDED'], cost: 8 });
  });

  it('looks at once when children failed (only the failed, when that is cheaper), and whole once every child ended', () => {
    const failed = chooseLook({ ...base, summary: { RUNNING: 2000, SUCCEEDED: 7990, FAILED: 10 } });
    assert.deepEqual(failed, { kind: 'failed', list: ['FAILED'], cost: 2 });
    const last = chooseLook({
      ...base,
      summary: { SUCCEEDED: 9990, FAILED: 10 },
      last: { SUCCEEDED: 9990, FAILED: 10 },
      force: true,
    });
    assert.deepEqual(
      last,
      { kind: 'ended', list: ['SUCCEEDED', 'FAILED'], cost: 11 },
      'the last look, whatever it costs',
    );
  });
});
