import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { artifactsOf, runFlow, taskIds, type Workspace, workspace } from './helpers.js';

let ws: Workspace;
before(async () => {
  ws = await workspace();
});
after(async () => {
  await ws.cleanup();
});

function summary(stdout: string): Record<string, unknown> {
  const line = stdout.split('\n').find((l) => l.includes('summary='));
  return JSON.parse(line?.split('summary=')[1] ?? '{}') as Record<string, unknown>;
}

describe('stepflow run: parameters', () => {
  it('uses defaults, and typed values from the command line', async () => {
    const r = await runFlow(ws, 'params-flow.ts', [
      '--alpha',
      '0.25',
      '--name=moon',
      '--verbose',
      '--no-color',
      '--config',
      '{"depth":4}',
      '--max-depth',
      '9',
      '--dataset',
      'd1',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(summary(r.stdout), {
      alpha: 0.25,
      name: 'moon',
      verbose: true,
      color: false,
      config: { depth: 4 },
      maxDepth: 9,
      dataset: 'd1',
    });
    const [start] = await taskIds(ws.root, 'ParamsFlow', r.runId, 'start');
    const a = await artifactsOf(ws.root, 'ParamsFlow', r.runId, 'start', start);
    assert.equal(a.alpha, 0.25, 'parameters are artifacts');
  });

  it('accepts the field name and explicit booleans', async () => {
    const r = await runFlow(ws, 'params-flow.ts', [
      '--maxDepth',
      '5',
      '--verbose',
      'false',
      '--dataset',
      'x',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = summary(r.stdout);
    assert.equal(s.maxDepth, 5);
    assert.equal(s.verbose, false);
    assert.equal(s.alpha, 0.5);
  });

  for (const [args, pattern] of [
    [['--dataset', 'x', '--alpha', 'abc'], /--alpha of ParamsFlow must be a number, got "abc"/],
    [['--dataset', 'x', '--config', '{bad'], /--config of ParamsFlow must be valid JSON/],
    [
      ['--dataset', 'x', '--verbose', 'maybe'],
      /Unexpected argument "maybe"|--verbose .* must be true or false|Unknown option/,
    ],
    [[], /--dataset of ParamsFlow is required/],
    [['--dataset', 'x', '--nope', '1'], /Unknown option --nope for ParamsFlow\. Valid options: .*--alpha/],
    [['--dataset', 'x', '--max-workers', '0'], /--max-workers needs a positive whole number/],
  ] as const) {
    it(`refuses bad input before any task runs: ${args.join(' ') || '(no args)'}`, async () => {
      const r = await runFlow(ws, 'params-flow.ts', args);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stdout, /started/);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    });
  }
});
