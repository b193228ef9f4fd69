import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArtifactRef } from '../datastore/types.js';
import { ReservedNameError } from '../flow/errors.js';
import { ArtifactState } from './artifact-state.js';

/** A fake store: a ref's sha is the value's fingerprint (as with real content addressing); loads are listed. */
function setup(
  stored: Record<string, unknown>,
  options: { params?: Record<string, unknown>; fields?: Record<string, unknown>; encoding?: string } = {},
) {
  const values = new Map<string, unknown>();
  const loads: string[] = [];
  const ref = (name: string, value: unknown): ArtifactRef => {
    const sha = `fp:${JSON.stringify(value)}`;
    values.set(sha, structuredClone(value));
    return { sha, size: 1, encoding: options.encoding ?? 'v8', type: name };
  };
  const inherited = Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, ref(k, v)]));
  const parameters = Object.fromEntries(Object.entries(options.params ?? {}).map(([k, v]) => [k, ref(k, v)]));
  const flow: Record<string, unknown> = { ...(options.fields ?? {}) };
  let fingerprints = 0;
  const state = new ArtifactState(flow, {
    flowName: 'F',
    stepName: 's',
    inherited,
    parameters,
    load: (r) => {
      loads.push(r.type);
      return structuredClone(values.get(r.sha));
    },
    fingerprint: (_name, value) => {
      fingerprints++;
      return `fp:${JSON.stringify(value)}`;
    },
  });
  state.install();
  return { flow, state, loads, inherited, parameters, fingerprints: () => fingerprints };
}

describe('artifact-state', () => {
  it('inherited artifacts load lazily, once, on first read', () => {
    const { flow, loads } = setup({ a: 1, b: 'two' });
    assert.deepEqual(loads, []);
    assert.deepEqual(Object.keys(flow).sort(), ['a', 'b']);
    assert.equal(flow.a, 1);
    assert.equal(flow.a, 1);
    assert.deepEqual(loads, ['a']);
    assert.equal(flow.nobody, undefined);
  });

  it('untouched and read-only scalar artifacts are kept as refs; assignments are stored', () => {
    const { flow, state, inherited, loads } = setup({ a: 1, b: 2, c: 3 });
    void flow.b;
    flow.c = 30;
    assert.deepEqual(loads, ['b']);
    const { values, refs } = state.collect();
    assert.deepEqual(values, { c: 30 });
    assert.deepEqual(refs, { a: inherited.a, b: inherited.b });
    // Assigning does not load the old value.
    assert.deepEqual(loads, ['b']);
  });

  it('new fields are collected; constructor fields are values of their own', () => {
    const { flow, state } = setup({}, { fields: { init: 5 } });
    flow.fresh = { x: 1 };
    flow.init = 6;
    const { values, refs } = state.collect();
    assert.deepEqual(values, { fresh: { x: 1 }, init: 6 });
    assert.deepEqual(refs, {});
    assert.deepEqual(state.names().sort(), ['fresh', 'init']);
  });

  it('parameters are read-only: assigning throws ReservedNameError, reading works', () => {
    const { flow, state, parameters } = setup({}, { params: { alpha: 0.5 } });
    assert.equal(flow.alpha, 0.5);
    assert.throws(
      () => {
        flow.alpha = 1;
      },
      (err: unknown) =>
        err instanceof ReservedNameError &&
        err.artifact === 'alpha' &&
        err.step === 's' &&
        /"alpha" is a parameter, and parameters are read-only/.test(err.message),
    );
    assert.deepEqual(state.collect(), { values: {}, refs: { alpha: parameters.alpha } });
  });

  it('reserved names cannot be assigned and keep the FlowSpec behaviour', () => {
    const { flow, state } = setup({ a: 1 });
    for (const name of ['next', 'input', 'index', 'inputs', 'foreachStack', 'mergeArtifacts']) {
      assert.throws(
        () => {
          flow[name] = 1;
        },
        (err: unknown) =>
          err instanceof ReservedNameError && err.artifact === name && /reserved/.test(err.message),
        name,
      );
    }
    assert.equal(flow.inputs, undefined);
    assert.deepEqual(state.collect().values, {});
  });

  it('a reserved name stored as an artifact by a parent is not exposed', () => {
    const { flow, state } = setup({ input: 1, ok: 2 });
    assert.equal(Object.keys(flow).includes('input'), false);
    assert.deepEqual(Object.keys(state.collect().refs).sort(), ['input', 'ok']);
  });

  it('a read object that is not changed keeps its ref; a mutated one is stored again', () => {
    const { flow, state, inherited } = setup({ same: { n: [1, 2] }, changed: { n: [1] }, arr: [1] });
    void (flow.same as { n: number[] }).n.length;
    (flow.changed as { n: number[] }).n.push(2);
    (flow.arr as number[]).push(2);
    const { values, refs } = state.collect();
    assert.deepEqual(values, { changed: { n: [1, 2] }, arr: [1, 2] });
    assert.deepEqual(refs, { same: inherited.same });
  });

  it('deterministic encodings use the stored sha instead of fingerprinting on load', () => {
    const { flow, state, fingerprints, inherited } = setup(
      { t: { a: 1 }, u: { b: 1 } },
      { encoding: 'typed-array' },
    );
    void flow.t;
    (flow.u as { b: number }).b = 2;
    assert.equal(fingerprints(), 0);
    const { values, refs } = state.collect();
    assert.deepEqual(values, { u: { b: 2 } });
    assert.deepEqual(refs, { t: inherited.t });
    assert.equal(fingerprints(), 2);
  });

  it('with a non-deterministic encoding an object read is fingerprinted on load', () => {
    const { flow, fingerprints } = setup({ o: { a: 1 }, n: 3 });
    void flow.n;
    assert.equal(fingerprints(), 0);
    void flow.o;
    assert.equal(fingerprints(), 1);
  });

  it('setRef replaces a value with a stored ref, also for names unknown so far', () => {
    const { flow, state, loads } = setup({ a: 1 });
    flow.a = 10;
    const refA: ArtifactRef = { sha: 'fp:1', size: 1, encoding: 'v8', type: 'a' };
    state.setRef('a', refA);
    const refZ: ArtifactRef = { sha: 'fp:1', size: 1, encoding: 'v8', type: 'z' };
    state.setRef('z', refZ);
    assert.equal(state.isSetHere('a'), false);
    assert.equal(flow.z, 1);
    assert.deepEqual(loads, ['z']);
    assert.deepEqual(state.collect(), { values: {}, refs: { a: refA, z: refZ } });
    flow.z = 2;
    assert.equal(state.isSetHere('z'), true);
    assert.deepEqual(state.collect().values, { z: 2 });
  });

  it('isSetHere and names', () => {
    const { flow, state } = setup({ a: 1, b: 2 });
    assert.equal(state.isSetHere('a'), false);
    flow.a = 3;
    flow.c = 4;
    assert.equal(state.isSetHere('a'), true);
    assert.equal(state.isSetHere('c'), true);
    assert.equal(state.isSetHere('b'), false);
    assert.deepEqual(state.names().sort(), ['a', 'b', 'c']);
  });
});
