import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { importSecondCopy } from '../../test/support/second-copy.js';
import { StepflowError } from '../common/errors.js';
import { ConfigError } from '../config/errors.js';
import { DecoratorOptionError, UnknownDecoratorError } from '../decorators/errors.js';
import { DecoratorUsageError, FlowError } from '../flow/errors.js';
import { GraphError } from '../graph/errors.js';
import { LayerInstallError, LayerPlatformError, LayerTooLargeError } from '../package/layer/errors.js';
import { RuntimeError, UsageError } from '../runtime/errors.js';
import { TaskError } from '../task/errors.js';
import { cliExitCode, formatCliError } from './format-error.js';

interface Copy {
  readonly datastore: typeof import('../datastore/errors.js');
  readonly graph: typeof import('../graph/errors.js');
}

let loaded: Promise<Copy> | undefined;
/** A second copy of stepflow's errors, as a flow's bundle carries one. */
function copy(): Promise<Copy> {
  loaded ??= importSecondCopy<Copy>({ datastore: 'datastore/errors', graph: 'graph/errors' });
  return loaded;
}

describe('format-error', () => {
  it('expected errors: one line, no stack', async () => {
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
    // made by the copy of stepflow in a flow's bundle: recognized by its brand, not by its name
    const named = new (await copy()).datastore.DatastoreError('cannot write');
    assert.equal(formatCliError(named), 'stepflow: error: cannot write');
  });

  it('graph errors say the flow was not run', async () => {
    const err = new (await copy()).graph.GraphError([]);
    err.message = 'flow.ts:3 step a has no next';
    assert.equal(
      formatCliError(err),
      'flow.ts:3 step a has no next\nThe flow was not run: fix the problems above.',
    );
  });

  it('unexpected errors keep their stack; thrown non-errors are shown as text', () => {
    const err = new TypeError('x is undefined');
    const text = formatCliError(err);
    assert.ok(text.startsWith('stepflow: unexpected error: TypeError: x is undefined\n    at '), text);
    const noStack = new Error('bare');
    noStack.stack = undefined;
    assert.equal(formatCliError(noStack), 'stepflow: unexpected error: bare');
    assert.equal(formatCliError('just text'), 'stepflow: error: just text');
    assert.equal(formatCliError(42), 'stepflow: error: 42');
  });

  it('stepflow errors are formatted from their fields: the hint, unless the message says it', () => {
    const err = new StepflowError('no job queue for @batch on step F.train.', {
      hint: 'Set METAFLOW_BATCH_JOB_QUEUE.',
    });
    assert.equal(
      formatCliError(err),
      'stepflow: error: no job queue for @batch on step F.train. Set METAFLOW_BATCH_JOB_QUEUE.',
    );
    const said = new StepflowError('no job queue: set METAFLOW_BATCH_JOB_QUEUE.', {
      hint: 'set METAFLOW_BATCH_JOB_QUEUE.',
    });
    assert.equal(formatCliError(said), 'stepflow: error: no job queue: set METAFLOW_BATCH_JOB_QUEUE.');
    const graph = new GraphError([]);
    assert.equal(graph.hint, 'The flow was not run: fix the problems above.');
    assert.equal(formatCliError(graph), `${graph.message}\n${graph.hint}`);
  });

  it('stepflow errors: the stepflow errors of the cause chain that the message does not repeat', () => {
    const root = new ConfigError('METAFLOW_S3_RETRY_COUNT must be a whole number (got "abc").', {
      setting: 'METAFLOW_S3_RETRY_COUNT',
    });
    const middle = new StepflowError(`cannot read the settings: ${root.message}`, { cause: root });
    const top = new RuntimeError('the run could not start.', { cause: middle });
    assert.equal(
      formatCliError(top),
      'stepflow: error: the run could not start.\n' +
        `  caused by: cannot read the settings: ${root.message}`,
    );
    const sdk = new RuntimeError('the run could not start.', { cause: new Error('socket hang up') });
    assert.equal(
      formatCliError(sdk),
      'stepflow: error: the run could not start.',
      'other causes are details',
    );
    const loop = new StepflowError('a', { hint: 'do b' });
    const other = new StepflowError('c', { cause: loop });
    (loop as { cause?: unknown }).cause = other;
    assert.equal(formatCliError(other), 'stepflow: error: c\n  caused by: a do b');
  });

  it('stepflow errors whose display asks for a stack are shown as unexpected', () => {
    const err = new TaskError('cannot find flow class MyFlow in the code package');
    assert.equal(err.display, 'stack');
    const text = formatCliError(err);
    assert.ok(text.startsWith('stepflow: unexpected error: TaskError: cannot find flow class'), text);
    assert.ok(text.includes('\n    at '), text);
  });

  it('the exit code is 2 for bad usage (from any copy of stepflow), else 1', async () => {
    const copied = await importSecondCopy<{ runtime: typeof import('../runtime/errors.js') }>({
      runtime: 'runtime/errors',
    });
    assert.equal(cliExitCode(new UsageError('--max-workers needs a value.')), 2);
    assert.equal(cliExitCode(new copied.runtime.UsageError('--max-workers needs a value.')), 2);
    assert.equal(cliExitCode(new RuntimeError('no run to resume')), 1);
    const named = new Error('x');
    named.name = 'UsageError';
    assert.equal(cliExitCode(named), 1, 'a name alone does not make bad usage');
    assert.equal(cliExitCode('text'), 1);
  });
});
