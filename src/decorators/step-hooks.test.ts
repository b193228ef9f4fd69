import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeLauncher, fakePlugin as plugin } from '../../test/support/fake-plugin.js';
import type { ResolvedDecorator, RunFinishedContext } from './contract.js';
import { registerStepDecorator } from './registry.js';
import { RunHooks, StepHooks } from './step-hooks.js';

type Opts = Record<string, unknown>;
const d = (name: string, options: Opts = {}): ResolvedDecorator => ({ name, options, source: 'static' });
const taskCtx = { flowName: 'F', stepName: 's', runId: '1', taskId: '2', attempt: 0, decorators: [] };
const events: string[] = [];

registerStepDecorator(
  plugin('shScoped', {
    launcher: () => fakeLauncher('plugin'),
    runtimeCheck: (ctx) => {
      events.push('check');
      const launcher = fakeLauncher(`scope of ${ctx.flowName}`);
      return {
        runtimeInit: (run) => {
          events.push(`scope init ${run.runId}`);
        },
        launcher: ({ options }) => (options.local ? undefined : launcher),
        runtimeFinished: (end: RunFinishedContext) => {
          events.push(`scope finished ${end.end} ${end.runId ?? '-'}`);
        },
      };
    },
    runtimeFinished: (ctx) => {
      events.push(`plugin finished ${ctx.runId}`);
    },
  }),
);
registerStepDecorator(
  plugin('shRefuse', {
    runtimeCheck: () => {
      throw new Error('no queue');
    },
  }),
);
registerStepDecorator(
  plugin('shLateScope', {
    runtimeInit: () => ({
      runtimeFinished: () => {
        events.push('late scope finished');
      },
    }),
  }),
);
registerStepDecorator(
  plugin('shBrokenFinish', {
    runtimeCheck: () => ({
      runtimeFinished: () => {
        throw new Error('could not close');
      },
    }),
  }),
);

const run = { flowName: 'F' };

describe('step-hooks', () => {
  it('a run scope from runtimeCheck: its launcher comes first, its runtimeFinished is called once', async () => {
    events.length = 0;
    const hooks = new RunHooks(
      new Map([
        ['a', [d('shScoped')]],
        ['b', [d('shScoped', { local: true })]],
      ]),
    );
    assert.equal(hooks.step('a').launcher(taskCtx)?.name, 'plugin', 'without the run: the plugin hook');
    await hooks.runtimeCheck(run);
    assert.deepEqual(events, ['check'], 'one check per plugin, not per step');
    await hooks.runtimeInit({ ...run, runId: '7' });
    assert.equal(hooks.step('a').launcher(taskCtx, hooks.scopesOf)?.name, 'scope of F');
    assert.equal(hooks.step('b').launcher(taskCtx, hooks.scopesOf)?.name, 'plugin');
    assert.equal(hooks.scopesNamed('shScoped').length, 1);
    await hooks.runtimeFinished({ ...run, runId: '7', end: 'failed' });
    await hooks.runtimeFinished({ ...run, runId: '7', end: 'failed' });
    assert.deepEqual(events, ['check', 'scope init 7', 'scope finished failed 7', 'plugin finished 7']);
    assert.equal(hooks.scopesNamed('shScoped').length, 0, 'nothing is kept after the run');
  });

  it('a later plugin refusing the run finishes the scopes already made (end: refused)', async () => {
    events.length = 0;
    const hooks = new RunHooks(new Map([['a', [d('shScoped'), d('shRefuse')]]]));
    await assert.rejects(hooks.runtimeCheck(run), /no queue/);
    assert.deepEqual(events, ['check', 'scope finished refused -']);
  });

  it('a scope returned by runtimeInit is finished too; a finisher that throws does not stop the others', async () => {
    events.length = 0;
    const hooks = new RunHooks(new Map([['a', [d('shBrokenFinish'), d('shLateScope')]]]));
    await hooks.runtimeCheck(run);
    await hooks.runtimeInit({ ...run, runId: '8' });
    await assert.rejects(hooks.runtimeFinished({ ...run, runId: '8', end: 'successful' }), /could not close/);
    assert.deepEqual(events, ['late scope finished']);

    events.length = 0;
    const notices: string[] = [];
    const again = new RunHooks(new Map([['a', [d('shBrokenFinish'), d('shLateScope')]]]));
    await again.runtimeCheck(run);
    await again.runtimeInit({ ...run, runId: '9' });
    const failure = new Error('the run failed');
    await again.runtimeFinished(
      { ...run, runId: '9', end: 'failed', notice: (m) => notices.push(m) },
      failure,
    );
    assert.deepEqual(events, ['late scope finished']);
    assert.deepEqual(notices, ['A plugin could not finish the run cleanly: could not close']);
  });

  it('StepHooks binds a step once and skips decorators without a plugin', () => {
    const hooks = new StepHooks([d('shScoped'), d('notRegistered')]);
    assert.deepEqual(
      hooks.plugins.map((p) => p.name),
      ['shScoped'],
    );
    assert.deepEqual(hooks.environment(taskCtx), {});
    assert.equal(hooks.attemptTimeout(taskCtx), undefined);
  });
});
