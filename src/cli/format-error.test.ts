import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecoratorOptionError, UnknownDecoratorError } from '../decorators/errors.js';
import { DecoratorUsageError, FlowError } from '../flow/errors.js';
import { LayerInstallError, LayerPlatformError, LayerTooLargeError } from '../package/layer/errors.js';
import { RuntimeError, UsageError } from '../runtime/errors.js';
import { formatCliError } from './format-error.js';

test('expected errors: one line, no stack', () => {
  const errors: Error[] = [
    new UsageError('--max-workers needs a value.'),
    new RuntimeError('no run to resume'),
    new DecoratorOptionError('bad option', { decorator: 'retry' }),
    new UnknownDecoratorError('unknown decorator "x"', { decorator: 'x', known: [] }),
    new FlowError('oops'),
    new DecoratorUsageError('legacy', { decorator: 'step' }),
    new LayerPlatformError('sharp has no build for linux-arm64', {
      platform: 'linux-arm64',
      packageName: 'sharp',
    }),
    new LayerTooLargeError(3, 2, [{ name: 'big@1.0.0', bytes: 3 }]),
    new LayerInstallError('npm could not install the lockfile', { platform: 'linux-arm64' }),
  ];
  for (const err of errors) {
    assert.equal(formatCliError(err), `stepflow: error: ${err.message}`, err.name);
  }
  const named = new Error('cannot write');
  named.name = 'StorageError';
  assert.equal(formatCliError(named), 'stepflow: error: cannot write');
});

test('graph errors say the flow was not run', () => {
  const err = new Error('flow.ts:3 step a has no next');
  err.name = 'GraphError';
  assert.equal(
    formatCliError(err),
    'flow.ts:3 step a has no next\nThe flow was not run: fix the problems above.',
  );
});

test('unexpected errors keep their stack; thrown non-errors are shown as text', () => {
  const err = new TypeError('x is undefined');
  const text = formatCliError(err);
  assert.ok(text.startsWith('stepflow: unexpected error: TypeError: x is undefined\n    at '), text);
  const noStack = new Error('bare');
  noStack.stack = undefined;
  assert.equal(formatCliError(noStack), 'stepflow: unexpected error: bare');
  assert.equal(formatCliError('just text'), 'stepflow: error: just text');
  assert.equal(formatCliError(42), 'stepflow: error: 42');
});
