import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowInfo, ParameterOptions } from '../flow/metadata.js';
import { UsageError } from './errors.js';
import {
  coerceParameter,
  kebabCase,
  type ParameterDef,
  parameterDefs,
  resolveParameters,
} from './parameters.js';

function info(params: Record<string, ParameterOptions>): FlowInfo {
  return {
    steps: new Map(),
    parameters: new Map(Object.entries(params).map(([name, options]) => [name, { name, options }])),
  };
}

describe('parameters', () => {
  it('parameterDefs: types from defaults, or from `type:`', () => {
    const instance = {
      n: 1.5,
      s: 'x',
      b: false,
      o: { a: 1 },
      l: [1],
      u: undefined,
      nul: null,
      t: 3,
      j: 'x',
      k: 1,
    };
    const defs = parameterDefs(
      info({
        n: {},
        s: { help: 'a string' },
        b: {},
        o: {},
        l: {},
        u: { required: true },
        nul: {},
        t: { type: String },
        j: { type: JSON },
        k: { type: 'boolean' },
      }),
      instance,
    );
    assert.deepEqual(
      defs.map((d) => [d.name, d.type]),
      [
        ['n', 'number'],
        ['s', 'string'],
        ['b', 'boolean'],
        ['o', 'json'],
        ['l', 'json'],
        ['u', 'string'],
        ['nul', 'string'],
        ['t', 'string'],
        ['j', 'json'],
        ['k', 'boolean'],
      ],
    );
    assert.deepEqual(defs[1], { name: 's', type: 'string', default: 'x', required: false, help: 'a string' });
    assert.equal(defs[5].required, true);
    const typed = parameterDefs(
      info({ a: { type: Number }, b: { type: Boolean }, c: { type: 'json' }, d: { type: 'number' } }),
      {},
    );
    assert.deepEqual(
      typed.map((d) => d.type),
      ['number', 'boolean', 'json', 'number'],
    );
  });

  it('kebabCase', () => {
    assert.equal(kebabCase('maxDepth'), 'max-depth');
    assert.equal(kebabCase('max_depth'), 'max-depth');
    assert.equal(kebabCase('alpha'), 'alpha');
    assert.equal(kebabCase('layer2Size'), 'layer2-size');
  });

  const def = (type: ParameterDef['type'], extra: Partial<ParameterDef> = {}): ParameterDef => ({
    name: 'maxDepth',
    type,
    default: undefined,
    required: false,
    ...extra,
  });

  it('coerceParameter converts text to the parameter type', () => {
    assert.equal(coerceParameter(def('number'), '0.25', 'F'), 0.25);
    assert.equal(coerceParameter(def('number'), '-3', 'F'), -3);
    assert.equal(coerceParameter(def('number'), '1e3', 'F'), 1000);
    for (const t of ['true', 'TRUE', '1', 'yes']) assert.equal(coerceParameter(def('boolean'), t, 'F'), true);
    for (const t of ['false', 'False', '0', 'no'])
      assert.equal(coerceParameter(def('boolean'), t, 'F'), false);
    assert.deepEqual(coerceParameter(def('json'), '{"a":[1,2]}', 'F'), { a: [1, 2] });
    assert.equal(coerceParameter(def('string'), ' keep spaces ', 'F'), ' keep spaces ');
  });

  it('coerceParameter errors name the option, the flow and the expected type', () => {
    const cases: Array<[ParameterDef['type'], string, RegExp]> = [
      ['number', 'abc', /must be a number, got "abc"/],
      ['number', '', /must be a number, got ""/],
      ['number', '  ', /a number/],
      ['number', 'Infinity', /a number/],
      ['boolean', 'maybe', /must be true or false, got "maybe"/],
      ['json', '{a:1}', /must be valid JSON, got "\{a:1\}"/],
    ];
    for (const [type, text, message] of cases) {
      assert.throws(
        () => coerceParameter(def(type, { help: 'tree depth' }), text, 'TrainFlow'),
        (err: unknown) =>
          err instanceof UsageError &&
          err.option === 'maxDepth' &&
          err.flow === 'TrainFlow' &&
          err.message.startsWith('Parameter --max-depth of TrainFlow ') &&
          message.test(err.message) &&
          err.message.endsWith('(tree depth)'),
        `${type} ${text}`,
      );
    }
  });

  it('resolveParameters: given values over defaults; a required one without a value fails', () => {
    const defs = [
      def('number', { name: 'alpha', default: 0.1 }),
      def('string', { name: 'tag', default: undefined }),
    ];
    assert.deepEqual(resolveParameters(defs, {}, 'F'), { alpha: 0.1 });
    assert.deepEqual(resolveParameters(defs, { alpha: 2, tag: 'x' }, 'F'), { alpha: 2, tag: 'x' });
    const required = [def('string', { name: 'inputFile', required: true })];
    assert.throws(
      () => resolveParameters(required, {}, 'F'),
      (err: unknown) =>
        err instanceof UsageError &&
        err.option === 'inputFile' &&
        /--input-file of F is required\. Pass it: --input-file VALUE\./.test(err.message),
    );
    assert.deepEqual(resolveParameters(required, { inputFile: 'a.csv' }, 'F'), { inputFile: 'a.csv' });
    // A required parameter with a default is satisfied by the default.
    assert.deepEqual(resolveParameters([def('number', { name: 'k', required: true, default: 3 })], {}, 'F'), {
      k: 3,
    });
  });
});
