import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArtifactRef } from '../datastore/types.js';
import { type JoinInput, makeInputs, refsOfInput } from './inputs.js';

const ref = (sha: string): ArtifactRef => ({ sha, size: 1, encoding: 'v8', type: 'number' });
const store: Record<string, unknown> = { s1: 1, s2: 2, s3: 3, s4: 'shared' };

function build(keyByStep: boolean) {
  const loads: string[] = [];
  const joinInputs: JoinInput[] = [
    { step: 'a', taskId: '2', refs: { score: ref('s1'), common: ref('s4') } },
    { step: 'b', taskId: '3', refs: { score: ref('s2') } },
    { step: 'c', taskId: '4', refs: { score: ref('s3'), extra: ref('s1') } },
  ];
  const load = (r: ArtifactRef) => {
    loads.push(r.sha);
    return store[r.sha];
  };
  type View = { readonly score?: number; readonly common?: string; readonly extra?: number };
  const inputs = makeInputs(joinInputs, load, keyByStep) as readonly View[] & Record<string, View>;
  return { inputs, loads, joinInputs };
}

describe('inputs', () => {
  it('inputs are an array in the given order, loaded lazily and once', () => {
    const { inputs, loads } = build(false);
    assert.equal(Array.isArray(inputs), true);
    assert.equal(inputs.length, 3);
    assert.deepEqual(loads, []);
    assert.deepEqual(
      inputs.map((i) => i.score),
      [1, 2, 3],
    );
    assert.equal(inputs[0].score, 1);
    assert.deepEqual(loads, ['s1', 's2', 's3']);
    assert.equal(inputs[1].common, undefined);
    assert.deepEqual(Object.keys(inputs[0]).sort(), ['common', 'score']);
    assert.equal(Object.prototype.toString.call(inputs[2]), '[object Input(c/4)]');
    assert.deepEqual([...inputs].length, 3);
    assert.equal(inputs.filter((i) => (i.score ?? 0) > 1).length, 2);
  });

  it('after a static branch inputs are also keyed by the step leading into the join', () => {
    const { inputs } = build(true);
    assert.equal(inputs.a, inputs[0]);
    assert.equal(inputs.b.score, 2);
    assert.equal(inputs.c.extra, 1);
    // The keys do not show up as array elements.
    assert.deepEqual(Object.keys(inputs), ['0', '1', '2']);
    assert.equal(build(false).inputs.a, undefined);
  });

  it('a step name that collides with an array property does not replace it', () => {
    const joinInputs: JoinInput[] = [
      { step: 'length', taskId: '1', refs: {} },
      { step: 'map', taskId: '2', refs: {} },
    ];
    const inputs = makeInputs(joinInputs, () => undefined, true) as readonly object[] &
      Record<string, unknown>;
    assert.equal(inputs.length, 2);
    assert.equal(typeof inputs.map, 'function');
  });

  it('inputs and each input are frozen and read-only', () => {
    const { inputs } = build(true);
    assert.ok(Object.isFrozen(inputs));
    assert.ok(Object.isFrozen(inputs[0]));
    assert.throws(() => {
      (inputs as unknown as unknown[]).push(1);
    }, TypeError);
    assert.throws(() => {
      (inputs[0] as Record<string, unknown>).score = 9;
    }, TypeError);
    assert.throws(() => {
      (inputs[0] as Record<string, unknown>).fresh = 9;
    }, TypeError);
    assert.equal(inputs[0].score, 1);
  });

  it('refsOfInput returns the refs behind a view, undefined for anything else', () => {
    const { inputs, joinInputs, loads } = build(false);
    assert.equal(refsOfInput(inputs[1]), joinInputs[1].refs);
    assert.deepEqual(loads, []);
    for (const other of [{ score: 1 }, null, undefined, 3, 'x', inputs])
      assert.equal(refsOfInput(other), undefined);
  });
});
