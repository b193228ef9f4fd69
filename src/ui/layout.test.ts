import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StepSummary } from './api-types.js';
import { layoutSteps } from './page/layout.js';

function step(name: string, next: string[]): StepSummary {
  return { name, kind: 'linear', next, state: 'successful', tasks: 1, counts: {} };
}

describe('ui DAG layout', () => {
  it('puts each step in the layer of its longest path from start, branches stacked', () => {
    const { pos, width, height } = layoutSteps([
      step('start', ['a', 'b']),
      step('a', ['a2']),
      step('a2', ['join']),
      step('b', ['join']),
      step('join', ['end']),
      step('end', []),
    ]);
    const layer = (n: string) => pos.get(n)?.x;
    assert.ok((layer('start') ?? 0) < (layer('a') ?? 0));
    assert.equal(layer('a'), layer('b'), 'both branches in layer 1');
    assert.ok((pos.get('b')?.y ?? 0) > (pos.get('a')?.y ?? 0), 'stacked in graph order');
    assert.ok((layer('join') ?? 0) > (layer('a2') ?? 0), 'the join waits for the longer branch');
    assert.ok((layer('end') ?? 0) > (layer('join') ?? 0));
    assert.ok(width > (layer('end') ?? 0) && height > (pos.get('b')?.y ?? 0));
  });

  it('places steps outside the graph and survives a cycle', () => {
    const { pos } = layoutSteps([step('start', ['x']), step('x', ['start']), step('lonely', [])]);
    assert.equal(pos.size, 3);
  });
});
