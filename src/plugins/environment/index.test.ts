import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecoratorOptionError } from '../../decorators/errors.js';
import { parseWithSpec, resolveDecorators } from '../../decorators/resolve.js';
import { extractFlows } from '../../graph/extract.js';
import { environmentPlugin } from './index.js';

const where = { flowName: 'MyFlow', stepName: 'start' };
const ctx = { ...where, runId: '1', taskId: '1', attempt: 0, decorators: [] };

describe('index', () => {
  it('@environment: vars reach the task environment; numbers and booleans become strings', () => {
    const options = environmentPlugin.parseOptions(
      { vars: { GREETING: 'hi', N: 3, ON: true, _X: '' } },
      where,
    );
    assert.deepEqual(options, { vars: { GREETING: 'hi', N: '3', ON: 'true', _X: '' } });
    assert.deepEqual(environmentPlugin.taskEnvironment?.({ ...ctx, options }), options.vars);
    assert.deepEqual(environmentPlugin.parseOptions({}, where), { vars: {} });
  });

  it('@environment: a bad name or value names the variable', () => {
    assert.throws(
      () => environmentPlugin.parseOptions({ vars: { '1BAD': 'x' } }, where),
      (err: unknown) =>
        err instanceof DecoratorOptionError &&
        err.option === 'vars' &&
        err.message.startsWith(
          '@environment on step MyFlow.start: option "vars" has a bad variable name "1BAD"',
        ),
    );
    assert.throws(
      () => environmentPlugin.parseOptions({ vars: { 'A-B': 'x' } }, where),
      /bad variable name "A-B"/,
    );
    for (const value of [null, { a: 1 }, ['x'], Number.NaN]) {
      assert.throws(
        () => environmentPlugin.parseOptions({ vars: { GOOD: 'x', BAD: value } }, where),
        /option "vars": variable BAD must be a string \(numbers and booleans are turned into strings\), got/,
      );
    }
    assert.throws(
      () => environmentPlugin.parseOptions({ vars: 'A=1' }, where),
      /option "vars" must be an object of variable names to string values, e\.g\. \{ "MY_VAR": "1" \} \(got "A=1"\)/,
    );
    assert.throws(
      () => environmentPlugin.parseOptions({ env: {} }, where),
      /unknown option "env"\. Valid options: vars\./,
    );
  });

  it('@environment from --with (JSON value)', () => {
    const graph = extractFlows(
      'f.ts',
      `import { FlowSpec, step } from 'stepflow';
export default class F extends FlowSpec { @step start() { this.next(this.end); } @step end() {} }`,
    ).flows[0];
    const byStep = resolveDecorators(graph, new Map(), [parseWithSpec('environment:vars={"A":"1","B":2}')]);
    assert.deepEqual(byStep.get('start'), [
      { name: 'environment', options: { vars: { A: '1', B: '2' } }, source: 'cli' },
    ]);
  });
});
