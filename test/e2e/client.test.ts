import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  defaultNamespace,
  Flow,
  fromTaggedJson,
  getByPathspec,
  NamespaceMismatchError,
  namespace,
  setDatastore,
} from '../../src/index.js';
import { type CliResult, runCli, runFlow, type Workspace, workspace } from './helpers.js';

/** A retried step that logs per attempt, a foreach, and values with no JSON form. */
const CLIENT_FLOW = `import { current, FlowSpec, type Inputs, retry, step } from 'stepflow';

export default class ClientFlow extends FlowSpec {
  declare items: number[];
  declare square: number;
  declare odd: Record<string, unknown>;
  declare total: number;

  @step start() {
    this.items = [1, 2, 3];
    this.next(this.flaky);
  }

  @retry({ times: 1, minutesBetweenRetries: 0 })
  @step
  flaky() {
    console.log(\`stdout of attempt \${current.retryCount}\`);
    console.error(\`stderr of attempt \${current.retryCount}\`);
    if (current.retryCount === 0) throw new TypeError('attempt 0 fails on purpose');
    this.odd = { nan: Number.NaN, inf: -Number.POSITIVE_INFINITY, none: undefined, re: /x+/g };
    this.next(this.square_it, { foreach: 'items' });
  }

  @step square_it() {
    this.square = (this.input as number) ** 2;
    console.log(\`square \${this.square}\`);
    this.next(this.join);
  }

  @step join(inputs: Inputs<ClientFlow>) {
    this.total = inputs.reduce((s, i) => s + i.square, 0);
    this.next(this.end);
  }

  @step end() {}
}
`;

let ws: Workspace;
const runs: Record<string, string> = {};
const savedUser = process.env.METAFLOW_USER;

function ok<T extends CliResult>(r: T): T {
  assert.equal(r.code, 0, `exit code ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** `stepflow <command> <pathspec> --datastore-root <root> ...`. */
function cli(command: string, pathspec: string, ...args: string[]): Promise<CliResult> {
  return runCli([command, pathspec, '--datastore-root', ws.root, ...args], { cwd: ws.dir });
}

before(async () => {
  ws = await workspace();
  await mkdir(join(ws.dir, 'flows'));
  const clientFlow = join(ws.dir, 'flows', 'client-flow.ts');
  await writeFile(clientFlow, CLIENT_FLOW);
  const alice = { env: { METAFLOW_USER: 'alice' } };
  const linear = await runFlow(ws, 'linear-flow.ts', ['--tag', 'a', '--tag', 'b'], alice);
  runs.linear = ok(linear).runId;
  const params = await runFlow(ws, 'params-flow.ts', ['--dataset', 'd1', '--alpha', '2'], alice);
  runs.params = ok(params).runId;
  const failing = await runFlow(ws, 'failing-flow.ts', [], alice);
  assert.equal(failing.code, 1);
  runs.failing = failing.runId;
  const client = await runCli(['run', clientFlow, '--datastore-root', ws.root], { cwd: ws.dir, ...alice });
  runs.client = ok(client).stdout.split('\n')[0].split('/')[1];
  runs.bobLinear = ok(await runFlow(ws, 'linear-flow.ts', [], { env: { METAFLOW_USER: 'bob' } })).runId;
  process.env.METAFLOW_USER = 'alice';
  setDatastore({ kind: 'local', root: ws.root });
  defaultNamespace();
});

after(async () => {
  setDatastore(undefined);
  defaultNamespace();
  if (savedUser === undefined) delete process.env.METAFLOW_USER;
  else process.env.METAFLOW_USER = savedUser;
  await ws.cleanup();
});

describe('client API on real runs', () => {
  it('reads artifacts by name and all of them, tags, and run status', async () => {
    const run = await new Flow('LinearFlow').run(runs.linear);
    assert.equal(run.successful, true);
    assert.equal(run.finished, true);
    assert.deepEqual([...run.tags].sort(), ['a', 'b', 'user:alice']);
    assert.equal(run.user, 'alice');
    assert.deepEqual(await run.stepNames(), ['start', 'middle', 'end']);
    const data = (await run.data()) ?? {};
    assert.equal(data.counter, 2);
    assert.deepEqual(
      data.table,
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );
    assert.equal(data.big, 2n ** 70n);
    const end = await run.endTask();
    const floats = await end?.artifact('floats');
    assert.equal(floats?.type, 'Float64Array');
    assert.deepEqual(await floats?.value(), new Float64Array([1.5, 2.5]));
    assert.ok((await end?.artifacts())?.some((a) => a.name === 'nested'));
  });

  it('reads parameters', async () => {
    const run = await new Flow('ParamsFlow').latestRun();
    assert.equal(run?.id, runs.params);
    const p = await run?.parameters();
    assert.equal(p?.alpha, 2);
    assert.equal(p?.dataset, 'd1');
    assert.equal(p?.name, 'world');
  });

  it('reports a failed run and the exception of its failed task', async () => {
    const run = await new Flow('FailingFlow').run(runs.failing);
    assert.equal(run.successful, false);
    assert.equal(run.finished, true);
    assert.equal(run.status, 'failed');
    assert.equal(await run.data(), undefined);
    const bad = await (await run.step('bad')).task();
    assert.equal(bad.successful, false);
    assert.equal(bad.exitStatus, 'failed');
    assert.equal(bad.exception?.type, 'RangeError');
    assert.match(bad.exception?.message ?? '', /the bad step failed on purpose/);
    assert.match(bad.exception?.stack ?? '', /failing-flow\.ts:\d+/);
    assert.deepEqual(await bad.data(['before']), { before: 'kept' });
    assert.equal((await new Flow('FailingFlow').latestSuccessfulRun())?.id, undefined);
  });

  it('keeps stdout and stderr per attempt', async () => {
    const task = await getByPathspec(`ClientFlow/${runs.client}/flaky/2`);
    assert.ok(task.kind === 'task');
    assert.equal(task.currentAttempt, 1);
    assert.equal(task.successful, true);
    assert.equal(await task.stdout(), 'stdout of attempt 1\n');
    assert.equal(await task.stdout(0), 'stdout of attempt 0\n');
    assert.match(await task.stderr(0), /^stderr of attempt 0\nTypeError: attempt 0 fails on purpose/);
    const attempts = await task.attempts();
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.status, a.error?.type]),
      [
        [0, 'failed', 'TypeError'],
        [1, 'successful', undefined],
      ],
    );
  });

  it('filters by namespace: alice does not see bob, namespace(null) sees everyone', async () => {
    assert.deepEqual(
      (await new Flow('LinearFlow').runs()).map((r) => r.id),
      [runs.linear],
    );
    process.env.METAFLOW_USER = 'bob';
    try {
      assert.equal(defaultNamespace(), 'user:bob');
      assert.deepEqual(
        (await new Flow('LinearFlow').runs()).map((r) => r.id),
        [runs.bobLinear],
      );
      await assert.rejects(new Flow('LinearFlow').run(runs.linear), NamespaceMismatchError);
      assert.deepEqual(
        (await Flow.list()).map((f) => f.name),
        ['LinearFlow'],
      );
      namespace(null);
      assert.deepEqual(
        (await new Flow('LinearFlow').runs()).map((r) => r.id),
        [runs.bobLinear, runs.linear],
      );
      assert.equal((await new Flow('LinearFlow').run(runs.linear)).user, 'alice');
    } finally {
      process.env.METAFLOW_USER = 'alice';
      defaultNamespace();
    }
  });
});

describe('stepflow logs and dump', () => {
  it('logs prints a task, a step with headed blocks, stderr, and a given attempt', async () => {
    const flaky = `ClientFlow/${runs.client}/flaky`;
    assert.equal(ok(await cli('logs', `${flaky}/2`)).stdout, 'stdout of attempt 1\n');
    assert.equal(ok(await cli('logs', `${flaky}/2`, '--attempt', '0')).stdout, 'stdout of attempt 0\n');
    assert.match(
      ok(await cli('logs', `${flaky}/2`, '--stderr', '--attempt', '0')).stdout,
      /TypeError: attempt 0/,
    );
    const step = ok(await cli('logs', `ClientFlow/${runs.client}/square_it`)).stdout;
    const blocks = step.split(/^==> /m).filter(Boolean);
    assert.equal(blocks.length, 3);
    assert.match(
      blocks[0],
      new RegExp(`^ClientFlow/${runs.client}/square_it/\\d+ \\(attempt 0\\) <==\\nsquare 1\\n`),
    );
    // any namespace: bob's run is readable although the CLI runs as alice
    assert.match(ok(await cli('logs', `LinearFlow/${runs.bobLinear}/start`)).stdout, /start LinearFlow/);
  });

  it('logs and dump say what exists when a pathspec is wrong', async () => {
    const r = await cli('logs', `ClientFlow/${runs.client}/flakey`);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(
      r.stderr,
      /Step ClientFlow\/\d+\/flakey does not exist.*Existing steps: start, flaky, square_it/,
    );
    const attempt = await cli('logs', `ClientFlow/${runs.client}/flaky/2`, '--attempt', '7');
    assert.match(attempt.stderr, /Attempt 7 of task .* does not exist.*Existing attempts: 0, 1/);
    const dump = await cli('dump', 'NoSuchFlow/1/end');
    assert.equal(dump.code, 1);
    assert.match(dump.stderr, /Flow NoSuchFlow does not exist.*Existing flows: .*ClientFlow/);
  });

  it('dump prints a table of names, types and sizes', async () => {
    const end = await getByPathspec(`LinearFlow/${runs.linear}/end`);
    assert.ok(end.kind === 'step');
    const out = ok(await cli('dump', (await end.task()).pathspec)).stdout;
    assert.match(out, /^NAME\s+TYPE\s+SIZE\s+PREVIEW$/m);
    assert.match(out, /^table\s+Map\s+\d+ B\s+Map\(2\) \{"a" => 1, "b" => 2\}$/m);
    assert.match(out, /^counter\s+number\s+\d+ B\s+2$/m);
  });

  it('dump --json writes tagged values for a task and {taskId: {...}} for a step', async () => {
    const endTask = await (await (await new Flow('LinearFlow').run(runs.linear)).step('end')).task();
    const task = JSON.parse(ok(await cli('dump', endTask.pathspec, '--json')).stdout);
    assert.deepEqual(task.table, {
      $type: 'Map',
      entries: [
        ['a', 1],
        ['b', 2],
      ],
    });
    assert.deepEqual(task.tags, { $type: 'Set', values: ['x', 'y'] });
    assert.deepEqual(task.big, { $type: 'BigInt', value: String(2n ** 70n) });
    assert.deepEqual(task.when, { $type: 'Date', value: '2026-01-02T03:04:05.000Z' });
    assert.deepEqual(task.floats, { $type: 'Float64Array', values: [1.5, 2.5] });
    assert.deepEqual(task.nested, { a: [1, 2], self: { $type: 'Cycle', path: '$' } });
    assert.equal(fromTaggedJson(task.big), 2n ** 70n);
    const flaky = JSON.parse(ok(await cli('dump', `ClientFlow/${runs.client}/flaky`, '--json')).stdout);
    assert.deepEqual(Object.keys(flaky), ['2']);
    assert.deepEqual(flaky['2'].odd, {
      nan: { $type: 'Number', value: 'NaN' },
      inf: { $type: 'Number', value: '-Infinity' },
      none: { $type: 'Undefined' },
      re: { $type: 'RegExp', source: 'x+', flags: 'g' },
    });
    const squares = JSON.parse(ok(await cli('dump', `ClientFlow/${runs.client}/square_it`, '--json')).stdout);
    assert.deepEqual(
      Object.values(squares).map((t) => (t as { square: number }).square),
      [1, 4, 9],
    );
  });

  it('documents the tagged JSON form in dump --help', async () => {
    const help = ok(await runCli(['dump', '--help'])).stdout;
    assert.match(help, /\{"\$type":"Map","entries":\[\[key,value\],\.\.\.\]\}/);
    assert.match(help, /\{"\$type":"Cycle","path":/);
  });
});
