import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecoratorOptionError } from '../../decorators/errors.js';
import { parseWithSpec, resolveDecorators } from '../../decorators/resolve.js';
import { extractFlows } from '../../graph/extract.js';
import '../index.js';
import { timeoutPlugin, timeoutSeconds, timeoutSource } from './index.js';

const where = { flowName: 'MyFlow', stepName: 'load' };
const ctx = { ...where, runId: '1', taskId: '2', attempt: 0, decorators: [] };

describe('index', () => {
  it('@timeout: the limit is the sum of the units given', () => {
    assert.equal(timeoutSeconds({ seconds: 30, minutes: 1, hours: 1 }), 3690);
    assert.equal(timeoutSeconds({ minutes: 1.5 }), 90);
    const options = timeoutPlugin.parseOptions({ seconds: 5 }, where);
    assert.deepEqual(options, { seconds: 5 });
    assert.deepEqual(timeoutPlugin.attemptTimeout?.({ ...ctx, options }), {
      seconds: 5,
      source: '@timeout(seconds=5)',
    });
    const mixed = timeoutPlugin.parseOptions({ hours: 1, seconds: 0 }, where);
    assert.deepEqual(timeoutPlugin.attemptTimeout?.({ ...ctx, options: mixed }), {
      seconds: 3600,
      source: '@timeout(seconds=0, hours=1)',
    });
    assert.equal(timeoutSource({ minutes: 5 }), '@timeout(minutes=5)');
  });

  it('@timeout: at least one unit, and a total above 0', () => {
    assert.throws(
      () => timeoutPlugin.parseOptions({}, where),
      (err: unknown) =>
        err instanceof DecoratorOptionError &&
        err.message ===
          '@timeout on step MyFlow.load: give a time limit with seconds, minutes and/or hours, e.g. ' +
            '@timeout({ minutes: 5 }).',
    );
    assert.throws(
      () => timeoutPlugin.parseOptions({ seconds: 0, minutes: 0 }, where),
      /@timeout on step MyFlow\.load: the time limit must be greater than 0 \(got timeout\(seconds=0, minutes=0\)\)/,
    );
    assert.throws(() => timeoutPlugin.parseOptions({ hours: 24 * 25 }, where), /at most 24 days/);
  });

  it('@timeout: a bad unit names the option and the value', () => {
    assert.throws(
      () => timeoutPlugin.parseOptions({ minutes: -1 }, where),
      /@timeout on step MyFlow\.load: option "minutes" must be a number of minutes ≥ 0 \(got -1\)\./,
    );
    assert.throws(
      () => timeoutPlugin.parseOptions({ seconds: '5' }, where),
      /option "seconds" must be a number of seconds ≥ 0 \(got "5"\)/,
    );
    assert.throws(
      () => timeoutPlugin.parseOptions({ secs: 5 }, where),
      /unknown option "secs"\. Valid options: seconds, minutes, hours\./,
    );
  });

  it('@timeout from --with', () => {
    const graph = extractFlows(
      'f.ts',
      `import { FlowSpec, step } from 'stepflow';
export default class F extends FlowSpec { @step start() { this.next(this.end); } @step end() {} }`,
    ).flows[0];
    const byStep = resolveDecorators(graph, new Map(), [parseWithSpec('timeout:minutes=2')]);
    assert.deepEqual(byStep.get('end'), [{ name: 'timeout', options: { minutes: 2 }, source: 'cli' }]);
  });

  it("@timeout: no limit on @catchError's fallback attempt (it does not run the step)", () => {
    const options = timeoutPlugin.parseOptions({ seconds: 1 }, where);
    const decorators = [
      { name: 'timeout', options: { seconds: 1 }, source: 'static' as const },
      { name: 'catchError', options: { printException: true }, source: 'static' as const },
      { name: 'retry', options: { times: 1, minutesBetweenRetries: 0 }, source: 'static' as const },
    ];
    const at = (attempt: number) => timeoutPlugin.attemptTimeout?.({ ...ctx, attempt, decorators, options });
    assert.equal(at(0)?.seconds, 1);
    assert.equal(at(1)?.seconds, 1);
    assert.equal(at(2), undefined);
    assert.equal(
      timeoutPlugin.attemptTimeout?.({ ...ctx, attempt: 2, options })?.seconds,
      1,
      'no fallback without catch',
    );
  });
});
