import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakePlugin as base, fakeLauncher } from '../../test/support/fake-plugin.js';
import type { ResolvedDecorator } from './contract.js';
import { registerStepDecorator } from './registry.js';
import { MAX_ATTEMPTS_PER_TASK as MAX_ATTEMPTS, StepHooks, type StepTaskContext } from './step-hooks.js';

// The attempt-level hooks of one step, as the scheduler calls them (`RunHooks.step(name)`).
const attemptPlan = (ds: readonly ResolvedDecorator[]) => new StepHooks(ds).attemptPlan();
const launcherFor = (ds: readonly ResolvedDecorator[], c: StepTaskContext) => new StepHooks(ds).launcher(c);
const taskEnvironment = (ds: readonly ResolvedDecorator[], c: StepTaskContext) =>
  new StepHooks(ds).environment(c);
const attemptTimeoutFor = (ds: readonly ResolvedDecorator[], c: StepTaskContext) =>
  new StepHooks(ds).attemptTimeout(c);

type Opts = Record<string, unknown>;
const launcherA = fakeLauncher('a');
const launcherB = fakeLauncher('b');
const seen: unknown[] = [];

registerStepDecorator(
  base('hRetry', {
    retryCount: ({ options }) => ({
      user: Number(options.times ?? 0),
      error: 0,
      delayMs: Number(options.delay ?? 0),
    }),
  }),
);
registerStepDecorator(base('hCatch', { retryCount: () => ({ user: 0, error: 1 }) }));
registerStepDecorator(
  base('hEnv', {
    taskEnvironment: (ctx) => {
      seen.push(ctx);
      return ctx.options.vars as Record<string, string>;
    },
  }),
);
registerStepDecorator(
  base('hRemote', {
    launcher: ({ options }) => (options.off ? undefined : options.which === 'b' ? launcherB : launcherA),
  }),
);
registerStepDecorator(
  base('hTimeout', {
    attemptTimeout: ({ options }) =>
      options.seconds === undefined
        ? undefined
        : { seconds: Number(options.seconds), source: `@hTimeout(${options.seconds})` },
  }),
);
registerStepDecorator(base('hPlain', {}));

const d = (name: string, options: Opts = {}): ResolvedDecorator => ({ name, options, source: 'static' });
const ctx = { flowName: 'F', stepName: 's', runId: '1', taskId: '2', attempt: 0, decorators: [] };

describe('attempt-hooks', () => {
  it('attemptPlan: one attempt by default; the largest user and error retries add up, capped', () => {
    assert.deepEqual(attemptPlan([]), { maxAttempts: 1, errorRetries: 0, userRetries: 0, retryDelayMs: 0 });
    assert.deepEqual(attemptPlan([d('hPlain'), d('unregistered')]), {
      maxAttempts: 1,
      errorRetries: 0,
      userRetries: 0,
      retryDelayMs: 0,
    });
    assert.deepEqual(attemptPlan([d('hRetry', { times: 2, delay: 50 })]), {
      maxAttempts: 3,
      errorRetries: 0,
      userRetries: 2,
      retryDelayMs: 50,
    });
    assert.deepEqual(
      attemptPlan([d('hRetry', { times: 2 }), d('hCatch'), d('hRetry', { times: 1, delay: 9 })]),
      {
        maxAttempts: 4,
        errorRetries: 1,
        userRetries: 2,
        retryDelayMs: 9,
      },
    );
    assert.equal(attemptPlan([d('hRetry', { times: 50 })]).maxAttempts, MAX_ATTEMPTS);
    assert.equal(MAX_ATTEMPTS, 6);
  });

  it('launcherFor: the first decorator that returns a launcher wins', () => {
    assert.equal(launcherFor([], ctx), undefined);
    assert.equal(launcherFor([d('hPlain'), d('hRemote', { off: true })], ctx), undefined);
    assert.equal(
      launcherFor([d('hRemote', { off: true }), d('hRemote', { which: 'b' }), d('hRemote')], ctx),
      launcherB,
    );
  });

  it('taskEnvironment merges every decorator, later ones winning', () => {
    seen.length = 0;
    const env = taskEnvironment(
      [d('hEnv', { vars: { A: '1', B: '1' } }), d('hPlain'), d('hEnv', { vars: { B: '2' } })],
      { ...ctx, attempt: 3 },
    );
    assert.deepEqual(env, { A: '1', B: '2' });
    assert.equal(seen.length, 2);
    assert.deepEqual(seen[0], { ...ctx, attempt: 3, options: { vars: { A: '1', B: '1' } } });
    assert.deepEqual(taskEnvironment([], ctx), {});
  });

  it('attemptTimeoutFor: the shortest limit, with its source', () => {
    assert.equal(attemptTimeoutFor([], ctx), undefined);
    assert.equal(attemptTimeoutFor([d('hTimeout')], ctx), undefined);
    assert.deepEqual(
      attemptTimeoutFor([d('hTimeout', { seconds: 60 }), d('hTimeout', { seconds: 5 }), d('hTimeout')], ctx),
      {
        seconds: 5,
        source: '@hTimeout(5)',
      },
    );
  });
});
