import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArtifactRef, ForeachFrame } from '../datastore/types.js';
import { MergeConflictError, TransitionError } from '../flow/errors.js';
import { ArtifactState } from './artifact-state.js';
import { type JoinInput, makeInputs } from './inputs.js';
import { RunningTaskState } from './task-state-impl.js';

const ref = (sha: string): ArtifactRef => ({ sha, size: 1, encoding: 'v8', type: 'x' });
const steps = { a() {}, b() {}, end() {} };

function setup(
  options: { isJoin?: boolean; foreachStack?: ForeachFrame[]; params?: string[]; fields?: object } = {},
) {
  const flow: Record<string, unknown> = { ...(options.fields ?? {}) };
  const parameters = Object.fromEntries((options.params ?? []).map((p) => [p, ref(`param-${p}`)]));
  const artifacts = new ArtifactState(flow, {
    flowName: 'F',
    stepName: 'join',
    inherited: {},
    parameters,
    load: (r) => r.sha,
    fingerprint: (_n, v) => JSON.stringify(v),
  });
  artifacts.install();
  let inputLoads = 0;
  const state = new RunningTaskState({
    flowName: 'F',
    stepName: 'join',
    isJoin: options.isJoin ?? true,
    foreachStack: options.foreachStack ?? [],
    loadInput: () => {
      inputLoads++;
      return 'item';
    },
    stepNames: new Map<unknown, string>(Object.entries(steps).map(([name, fn]) => [fn, name])),
    artifacts,
    parameters,
  });
  return { flow, state, artifacts, inputLoads: () => inputLoads };
}

function inputsOf(...refs: Array<Record<string, string>>): readonly object[] {
  const list: JoinInput[] = refs.map((r, i) => ({
    step: `s${i}`,
    taskId: String(i),
    refs: Object.fromEntries(Object.entries(r).map(([k, sha]) => [k, ref(sha)])),
  }));
  return makeInputs(list, (r) => r.sha, false);
}

describe('task-state-impl', () => {
  it('recordNext records step names and options', () => {
    const { state } = setup();
    state.recordNext([steps.a, steps.b], undefined);
    assert.deepEqual(state.recorded, { targets: ['a', 'b'], foreach: undefined });
    const other = setup().state;
    other.recordNext([steps.end], { foreach: 'items' });
    assert.deepEqual(other.recorded, { targets: ['end'], foreach: 'items' });
  });

  it('next twice, next with a non-step, next with nothing: TransitionError', () => {
    const { state } = setup();
    state.recordNext([steps.a], undefined);
    assert.throws(
      () => state.recordNext([steps.b], undefined),
      (err: unknown) =>
        err instanceof TransitionError && /F\.join called this\.next\(\) twice/.test(err.message),
    );
    assert.deepEqual(state.recorded?.targets, ['a']);
    const s2 = setup().state;
    assert.throws(
      () => s2.recordNext([steps.a, () => {}], undefined),
      (err: unknown) =>
        err instanceof TransitionError &&
        err.step === 'join' &&
        /argument 2 of this\.next\(\) is not a step/.test(err.message),
    );
    assert.throws(() => s2.recordNext([undefined], undefined), /argument 1/);
    assert.throws(() => s2.recordNext([], undefined), /with no step/);
    assert.equal(s2.recorded, undefined);
  });

  it('input, index and foreachStack follow the innermost foreach; input loads once', () => {
    const outside = setup();
    assert.equal(outside.state.input(), undefined);
    assert.equal(outside.state.index(), undefined);
    assert.deepEqual(outside.state.foreachStack(), []);
    assert.equal(outside.inputLoads(), 0);
    const stack: ForeachFrame[] = [
      { step: 'start', taskId: '1', field: 'xs', index: 1, count: 2 },
      { step: 'inner', taskId: '3', field: 'ys', index: 4, count: 5 },
    ];
    const inside = setup({ foreachStack: stack });
    assert.equal(inside.inputLoads(), 0);
    assert.equal(inside.state.input(), 'item');
    assert.equal(inside.state.input(), 'item');
    assert.equal(inside.inputLoads(), 1);
    assert.equal(inside.state.index(), 4);
    assert.deepEqual(inside.state.foreachStack(), [
      { step: 'start', field: 'xs', index: 1, count: 2 },
      { step: 'inner', field: 'ys', index: 4, count: 5 },
    ]);
  });

  it('mergeArtifacts: agreeing and one-sided artifacts are merged', () => {
    const { flow, state } = setup();
    state.mergeArtifacts(
      inputsOf({ x: 'x1', y: 'y1', only0: 'o' }, { x: 'x1', y: 'y1', only1: 'p' }),
      undefined,
    );
    assert.equal(flow.x, 'x1');
    assert.equal(flow.only0, 'o');
    assert.equal(flow.only1, 'p');
  });

  it('mergeArtifacts: a conflict names every conflicting artifact and sets nothing', () => {
    const { flow, artifacts, state } = setup();
    assert.throws(
      () =>
        state.mergeArtifacts(
          inputsOf({ ok: 'same', b: 'b1', a: 'a1' }, { ok: 'same', b: 'b2', a: 'a2' }),
          undefined,
        ),
      (err: unknown) => {
        assert.ok(err instanceof MergeConflictError);
        assert.deepEqual(err.artifacts, ['a', 'b']);
        assert.match(err.message, /differ between inputs: a, b\. .*exclude: \['a', 'b'\]/);
        return true;
      },
    );
    assert.equal(flow.ok, undefined);
    assert.deepEqual(artifacts.collect(), { values: {}, refs: {} });
  });

  it('mergeArtifacts: include and exclude', () => {
    const ins = inputsOf({ a: 'a1', b: 'b1', c: 'c1' }, { a: 'a2', b: 'b1', c: 'c1' });
    const inc = setup();
    inc.state.mergeArtifacts(ins, { include: ['b'] });
    assert.deepEqual(Object.keys(inc.artifacts.collect().refs), ['b']);
    const exc = setup();
    exc.state.mergeArtifacts(ins, { exclude: ['a'] });
    assert.deepEqual(Object.keys(exc.artifacts.collect().refs).sort(), ['b', 'c']);
    assert.throws(
      () => setup().state.mergeArtifacts(ins, { include: ['b', 'zz'] }),
      (err: unknown) =>
        err instanceof MergeConflictError &&
        err.artifacts.join() === 'zz' &&
        /no input has: zz/.test(err.message),
    );
  });

  it('mergeArtifacts: an artifact already set in the join wins; parameters and _private are skipped', () => {
    const { flow, artifacts, state } = setup({ params: ['alpha'] });
    flow.a = 'mine';
    flow.fresh = 'new';
    state.mergeArtifacts(
      inputsOf(
        { a: 'a1', fresh: 'f1', alpha: 'x', _tmp: 't1', b: 'b' },
        { a: 'a2', fresh: 'f2', alpha: 'y', _tmp: 't2' },
      ),
      undefined,
    );
    const { values, refs } = artifacts.collect();
    assert.deepEqual(values, { a: 'mine', fresh: 'new' });
    assert.deepEqual(Object.keys(refs).sort(), ['alpha', 'b']);
    assert.equal(refs.alpha.sha, 'param-alpha');
  });

  it('mergeArtifacts outside a join, or without the inputs argument: TransitionError', () => {
    assert.throws(
      () => setup({ isJoin: false }).state.mergeArtifacts(inputsOf({ a: 'a' }), undefined),
      (err: unknown) => err instanceof TransitionError && /only works in a join step/.test(err.message),
    );
    for (const bad of [[], [{ a: 1 }], { length: 1 }, undefined]) {
      assert.throws(() => setup().state.mergeArtifacts(bad, undefined), /takes the join's inputs argument/);
    }
  });
});
