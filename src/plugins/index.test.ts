import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getStepDecorator, knownStepDecorators } from '../decorators/registry.js';
import * as plugins from './index.js';
import { formatValue } from './parse-options.js';

describe('index', () => {
  it('importing the plugins registers the five built-in decorators', () => {
    for (const name of ['retry', 'timeout', 'catchError', 'resources', 'environment']) {
      assert.ok(knownStepDecorators().includes(name), name);
      assert.equal(typeof (plugins as Record<string, unknown>)[name], 'function');
      assert.ok(getStepDecorator(name)?.optionNames.length);
    }
  });

  it('formatValue quotes strings, shows JSON and shortens long values', () => {
    assert.equal(formatValue('3'), '"3"');
    assert.equal(formatValue(9), '9');
    assert.equal(formatValue(undefined), 'undefined');
    assert.equal(formatValue({ a: [1] }), '{"a":[1]}');
    assert.equal(
      formatValue(() => 1),
      'a function',
    );
    assert.equal(formatValue('x'.repeat(200)).length, 80);
  });
});
