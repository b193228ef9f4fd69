import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PreviousAttempt, TaskHookContext } from '../../decorators/contract.js';
import { DecoratorError, DecoratorOptionError } from '../../decorators/errors.js';
import { parseWithSpec, resolveDecorators } from '../../decorators/resolve.js';
import { checkPluginGraphs } from '../../decorators/static-check.js';
import type { StepDecoratorUse } from '../../flow/metadata.js';
import { extractFlows, selectFlow } from '../../graph/extract.js';
import { errorInfo } from '../../task/error-info.js';
import { catchErrorPlugin } from './index.js';
import type { ParsedCatchErrorOptions } from './options.js';

const where = { flowName: 'MyFlow', stepName: 'fetch' };
const graph = extractFlows(
  'my-flow.ts',
  `import { FlowSpec, parameter, step } from 'stepflow';
export default class MyFlow extends FlowSpec {
  @parameter() alpha = 1;
  declare items: number[];
  @step start() { this.items = [1]; this.next(this.fetch, { foreach: 'items' }); }
  @step fetch() { this.next(this.join); }
  @step join(inputs: unknown) { this.next(this.end); }
  @step end() {}
}`,
).flows[0];

function resolveOn(stepName: string, options: Record<string, unknown>) {
  const uses = new Map<string, StepDecoratorUse[]>([
    [stepName, [{ name: 'catchError', options, source: 'static' }]],
  ]);
  return resolveDecorators(graph, uses, []).get(stepName);
}

interface Harness {
  ctx: TaskHookContext<ParsedCatchErrorOptions>;
  artifacts: Record<string, unknown>;
  stderr: string[];
}

function harness(
  t: { mock: { method: typeof import('node:test').mock.method } },
  options: ParsedCatchErrorOptions,
  retryCount: number,
  maxAttempts: number,
  previousAttempt?: PreviousAttempt,
): Harness {
  const artifacts: Record<string, unknown> = {};
  const stderr: string[] = [];
  t.mock.method(process.stderr, 'write', (chunk: string) => {
    stderr.push(String(chunk));
    return true;
  });
  const ctx: TaskHookContext<ParsedCatchErrorOptions> = {
    ...where,
    options,
    runId: '7',
    taskId: '3',
    retryCount,
    maxAttempts,
    errorRetries: 1,
    flow: {},
    previousAttempt,
    setArtifact: (name, value) => {
      artifacts[name] = value;
    },
    describeError: errorInfo,
  };
  return { ctx, artifacts, stderr };
}

describe('index', () => {
  it('@catchError: options and defaults', () => {
    assert.deepEqual(catchErrorPlugin.parseOptions({}, where), { printException: true });
    assert.deepEqual(catchErrorPlugin.parseOptions({ var: 'failure', printException: false }, where), {
      var: 'failure',
      printException: false,
    });
    assert.deepEqual(catchErrorPlugin.retryCount?.({ options: { printException: true } }), {
      user: 0,
      error: 1,
    });
  });

  it('@catchError: a bad var or printException is refused with a clear message', () => {
    assert.throws(
      () => catchErrorPlugin.parseOptions({ var: '1abc' }, where),
      (err: unknown) =>
        err instanceof DecoratorOptionError &&
        err.option === 'var' &&
        err.message ===
          '@catchError on step MyFlow.fetch: option "var" must be an artifact name: letters, digits and _, ' +
            'starting with a letter (e.g. "failure") (got "1abc").',
    );
    assert.throws(
      () => catchErrorPlugin.parseOptions({ var: '_private' }, where),
      /option "var" must be an artifact name/,
    );
    assert.throws(
      () => catchErrorPlugin.parseOptions({ var: 3 }, where),
      /option "var" must be .* \(got 3\)/,
    );
    assert.throws(
      () => catchErrorPlugin.parseOptions({ var: 'input' }, where),
      /@catchError on step MyFlow\.fetch: option "var" must not be a reserved name \(got "input"; reserved: next, input, index/,
    );
    assert.throws(
      () => catchErrorPlugin.parseOptions({ printException: 'yes' }, where),
      /option "printException" must be true or false \(got "yes"\)/,
    );
  });

  it('@catchError: print_exception from --with (refused on a flow whose start opens a foreach)', () => {
    const withSpecs = [parseWithSpec('catch_error:var=failure,print_exception=false')];
    assert.throws(
      () => resolveDecorators(graph, new Map(), withSpecs),
      /cannot be used on step MyFlow\.start/,
    );
    const linear = extractFlows(
      'f.ts',
      `import { FlowSpec, step } from 'stepflow';
export default class F extends FlowSpec { @step start() { this.next(this.end); } @step end() {} }`,
    ).flows[0];
    assert.deepEqual(resolveDecorators(linear, new Map(), withSpecs).get('end'), [
      { name: 'catchError', options: { var: 'failure', printException: false }, source: 'cli' },
    ]);
  });

  it('@catchError: refused on a step that starts a foreach, or with var naming a parameter or step', () => {
    assert.throws(
      () => resolveOn('start', {}),
      (err: unknown) =>
        err instanceof DecoratorError &&
        err.step === 'start' &&
        err.message.startsWith('@catchError cannot be used on step MyFlow.start because it starts a foreach'),
    );
    assert.throws(
      () => resolveOn('fetch', { var: 'alpha' }),
      /option "var" names the parameter "alpha" of MyFlow/,
    );
    assert.throws(() => resolveOn('fetch', { var: 'end' }), /option "var" names the step "end" of MyFlow/);
    assert.deepEqual(resolveOn('fetch', { var: 'failure' }), [
      { name: 'catchError', options: { var: 'failure', printException: true }, source: 'static' },
    ]);
  });

  it('@catchError: earlier attempts are left to @retry', (t) => {
    const h = harness(t, { var: 'failure', printException: true }, 0, 3);
    assert.equal(catchErrorPlugin.taskException?.({ ...h.ctx, error: new Error('x') }), false);
    assert.deepEqual(h.artifacts, {});
    assert.equal(catchErrorPlugin.taskDecorate?.(h.ctx), undefined);
  });

  it('@catchError: the last user attempt stores and prints the exception', (t) => {
    const h = harness(t, { var: 'failure', printException: true }, 1, 3);
    const handled = catchErrorPlugin.taskException?.({ ...h.ctx, error: new TypeError('bad input') });
    assert.equal(handled, true);
    const stored = h.artifacts.failure as { type: string; message: string; stack: string };
    assert.equal(stored.type, 'TypeError');
    assert.equal(stored.message, 'bad input');
    assert.match(stored.stack, /TypeError: bad input/);
    const out = h.stderr.join('');
    assert.match(
      out,
      /@catchError caught an exception in step MyFlow\.fetch \(attempt 2 of 3\); the flow continues\./,
    );
    assert.match(out, /stored in artifact "failure"/);
    assert.match(out, /TypeError: bad input/);
  });

  it('@catchError: printException false is silent; without var nothing is stored', (t) => {
    const h = harness(t, { printException: false }, 0, 2);
    assert.equal(catchErrorPlugin.taskException?.({ ...h.ctx, error: 'a string' }), true);
    assert.deepEqual(h.artifacts, {});
    assert.deepEqual(h.stderr, []);
  });

  it('@catchError: var is null when the step succeeds', (t) => {
    const h = harness(t, { var: 'failure', printException: true }, 0, 2);
    catchErrorPlugin.taskPostStep?.(h.ctx);
    assert.deepEqual(h.artifacts, { failure: null });
    const none = harness(t, { printException: true }, 0, 2);
    catchErrorPlugin.taskPostStep?.(none.ctx);
    assert.deepEqual(none.artifacts, {});
  });

  it('@catchError: the reserved attempt after a killed one stores its error instead of running the step', async (t) => {
    const previous: PreviousAttempt = {
      attempt: 1,
      killed: true,
      error: { type: 'TimeoutError', message: 'timed out after 1s (the limit set by @timeout(seconds=1))' },
    };
    const h = harness(t, { var: 'failure', printException: true }, 2, 3, previous);
    const replacement = catchErrorPlugin.taskDecorate?.(h.ctx);
    assert.ok(replacement);
    await replacement.run();
    assert.deepEqual(h.artifacts.failure, previous.error);
    catchErrorPlugin.taskPostStep?.(h.ctx);
    assert.deepEqual(h.artifacts.failure, previous.error, 'taskPostStep keeps the fallback value');
    assert.match(
      h.stderr.join(''),
      /@catchError caught step MyFlow\.fetch: its attempt 2 of \d was stopped; the flow continues\. It is stored in artifact "failure"\./,
    );
    assert.match(h.stderr.join(''), /TimeoutError: timed out after 1s/);
  });

  it('@catchError: the reserved attempt without a previous record still continues', async (t) => {
    const h = harness(t, { var: 'failure', printException: false }, 1, 2);
    const replacement = catchErrorPlugin.taskDecorate?.(h.ctx);
    assert.ok(replacement);
    await replacement.run();
    const stored = h.artifacts.failure as { type: string; message: string };
    assert.equal(stored.type, 'AttemptKilledError');
    assert.match(stored.message, /attempt 1 of task MyFlow\/7\/fetch\/3 ended without recording an error/);
  });

  it("catch-on-foreach: a static rule of the plugin, reported by the plugins' graph check at the decorator", () => {
    const source =
      "import { FlowSpec, step, parameter, retry, catchError, type Inputs } from 'stepflow';\n" +
      'export default class F extends FlowSpec {\n' +
      "  @catchError({ var: 'err' })\n  @step start() { this.xs = [1]; this.next(this.a, { foreach: 'xs' }); }\n  @step a() { this.next(this.j); }\n  @step j(inputs: Inputs<F>) { this.next(this.end); }\n  @step end() {}" +
      '\n}\n';
    const { graph: g, problems } = selectFlow('flow.ts', source);
    assert.ok(g, JSON.stringify(problems));
    const found = checkPluginGraphs(g).find((p) => p.rule === 'catch-on-foreach');
    assert.ok(found, 'catch-on-foreach not reported');
    assert.equal(found.line, source.slice(0, source.indexOf('@catchError')).split('\n').length);
    assert.equal(found.file, 'flow.ts');
    assert.ok(found.hint.length > 0);
    assert.deepEqual(catchErrorPlugin.checkGraph?.({ graph }), [], 'not on a step inside a foreach');
  });
});
