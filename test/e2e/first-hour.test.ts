/**
 * What a new user meets in the first hour (issue 12), as the user meets it: the CLI's output and exit code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CliResult, FLOWS, REPO, runCli, runFlow, type Workspace, workspace } from './helpers.js';

let ws: Workspace;
before(async () => {
  ws = await workspace();
});
after(async () => {
  await ws.cleanup();
});

const output = (r: CliResult) => r.stdout + r.stderr;

describe('a retry says when its next attempt starts (12.1)', () => {
  it('names the wait, where it comes from, and numbers attempts "n of max"', async () => {
    // 0.02 min = 1.2 s: long enough to be announced, short enough for a test.
    const r = await runFlow(ws, 'flaky-flow.ts', ['--with', 'retry:times=2,minutes_between_retries=0.02']);
    assert.equal(r.code, 0, output(r));
    assert.match(
      r.stderr,
      /\[FlakyFlow\/\d+\/start\/1\] failed after [\d.]+s \(attempt 1 of 3\): Error: first attempt fails on purpose — retrying in 1 s \(@retry\(minutesBetweenRetries: 0\.02\)\), at \d\d:\d\d:\d\d\n/,
    );
    assert.match(r.stdout, /\[FlakyFlow\/\d+\/start\/1\] started \(attempt 2 of 3\)\n/);
    assert.doesNotMatch(output(r), /\(retry \d\)|— retrying\n/);
  });
});

describe('the CLI behaves like one (12.6)', () => {
  it('--version and -V print the package version', async () => {
    const { version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      assert.equal(r.code, 0, output(r));
      assert.equal(r.stdout, `${version}\n`);
    }
  });

  it("resume --help shows resume's usage; options show value placeholders", async () => {
    const resume = await runCli(['resume', '--help']);
    assert.equal(resume.code, 0, output(resume));
    assert.match(resume.stdout, /^Usage: stepflow resume <flow\.ts> \[step\] \[options\]/);
    assert.match(resume.stdout, /--origin-run-id <run-id> /);
    const run = await runCli(['run', join(FLOWS, 'params-flow.ts'), '--help']);
    assert.equal(run.code, 0, output(run));
    assert.match(run.stdout, /^Usage: stepflow run <flow\.ts>/);
    assert.match(run.stdout, /--max-workers <n> /);
    assert.match(run.stdout, /--alpha <number> /);
    assert.doesNotMatch(run.stdout, /--origin-run-id/);
  });

  it('a mistyped option, decorator, decorator option or step gets a "did you mean"', async () => {
    const cases: [string[], RegExp][] = [
      [['--max-worker', '4'], /Unknown option --max-worker for ParamsFlow\. Did you mean --max-workers\?/],
      [['--with', 'retyr'], /unknown decorator "retyr" in --with\. Did you mean "retry"\?/],
      [['--with', 'batch:memroy=512'], /unknown option "memroy"\. Did you mean "memory"\?/],
    ];
    for (const [args, expected] of cases) {
      const r = await runFlow(ws, 'params-flow.ts', ['--dataset', 'd', ...args]);
      assert.notEqual(r.code, 0, output(r));
      assert.match(r.stderr, expected);
      assert.doesNotMatch(r.stdout, /ParamsFlow\/\d+/, 'no run was started');
    }
    const failed = await runFlow(ws, 'failing-flow.ts');
    assert.equal(failed.code, 1, output(failed));
    const resume = await runCli(
      ['resume', join(FLOWS, 'failing-flow.ts'), 'joni', '--datastore-root', ws.root],
      {
        cwd: ws.dir,
      },
    );
    assert.equal(resume.code, 1, output(resume));
    assert.match(resume.stderr, /there is no such step\. Did you mean "join"\?/);
  });
});

describe('stepflow run flow.py (12.7)', () => {
  it('says stepflow runs TypeScript flows and where a Metaflow user reads how to write one', async () => {
    const file = join(ws.dir, 'hello.py');
    await writeFile(
      file,
      'from metaflow import FlowSpec, step\n\nclass HelloFlow(FlowSpec):\n    @step\n    def start(self):\n' +
        '        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n',
    );
    for (const args of [
      ['run', file, '--datastore-root', ws.root],
      ['check', file],
    ]) {
      const r = await runCli(args, { cwd: ws.dir });
      assert.equal(r.code, 1, output(r));
      assert.match(
        r.stderr,
        /hello\.py is a Metaflow flow written in Python; stepflow runs flows written in TypeScript \(\.ts, \.mts\)/,
      );
      assert.match(r.stderr, /Coming from Metaflow/);
      assert.doesNotMatch(r.stderr, /TS\d{4}|expected/i, 'no TypeScript syntax errors');
      assert.equal(r.stdout, '');
    }
  });
});

describe('output that reads well (12.8)', () => {
  it('a malformed S3 datastore root is a one-line error naming it, not an unexpected error with a stack', async () => {
    const r = await runCli(['run', join(FLOWS, 'linear-flow.ts'), '--datastore-root', 's3://b/x'], {
      cwd: ws.dir,
      env: { AWS_DEFAULT_REGION: 'us-east-1' },
    });
    assert.equal(r.code, 1, output(r));
    assert.match(r.stderr, /Invalid S3 bucket name "b": a bucket name is 3 to 63/);
    assert.doesNotMatch(r.stderr, /unexpected error|^\s+at /m);
    assert.equal(r.stdout, '', 'no run id is printed');
  });

  it("a user error shows the user's frames, and a failed run's summary says how to resume it", async () => {
    const r = await runFlow(ws, 'failing-flow.ts');
    assert.equal(r.code, 1, output(r));
    const frames = r.stderr.split('\n').filter((l) => /\/bad\/\d+\]\s+at /.test(l));
    assert.deepEqual(
      frames.map((l) => l.replace(/^.*\]\s+at /, '').replace(/ \(.*failing-flow\.ts:\d+:\d+\)$/, '')),
      ['throwDeep', 'FailingFlow.bad'],
      r.stderr,
    );
    assert.doesNotMatch(r.stderr, /stepflow-entry|run-task|node:internal/);
    const file = join(FLOWS, 'failing-flow.ts');
    assert.match(
      r.stderr,
      new RegExp(
        `Run FailingFlow/${r.runId} failed: .*\nFix the problem, then resume the run: stepflow resume ${file} --datastore-root ${ws.root}\n`,
      ),
    );
  });
});

describe('TypeScript that catches mistakes, in a new user project (12.5)', () => {
  it('a "type": "commonjs" project runs a flow, and tsc refuses a foreach typo and a mistyped item', async () => {
    const dir = join(ws.dir, 'user-project');
    await mkdir(join(dir, 'node_modules'), { recursive: true });
    await symlink(REPO, join(dir, 'node_modules', 'stepflow'));
    await writeFile(
      join(dir, 'package.json'),
      '{ "name": "user-project", "version": "1.0.0", "type": "commonjs" }\n',
    );
    await writeFile(
      join(dir, 'tsconfig.json'),
      '{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "strict": true, "noEmit": true, "skipLibCheck": true } }\n',
    );
    const flow = (foreach: string, assign: string) => `import { FlowSpec, type Inputs, step } from 'stepflow';
export default class RegionFlow extends FlowSpec {
  declare regionList: string[];
  declare size: number;
  declare total: number;
  @step start() { this.regionList = ['eu', 'us']; this.next(this.work, { foreach: '${foreach}' }); }
  @step work() { this.size = ${assign}; this.next(this.join); }
  @step join(inputs: Inputs<RegionFlow>) { this.total = inputs.reduce((s, i) => s + i.size, 0); this.next(this.end); }
  @step end() {}
}
`;
    await writeFile(join(dir, 'flow.ts'), flow('regionList', "this.inputOf('regionList').length"));
    const run = await runCli(['run', 'flow.ts', '--datastore-root', ws.root], { cwd: dir });
    assert.equal(run.code, 0, output(run));
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const clean = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: dir, encoding: 'utf8' });
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    await writeFile(join(dir, 'flow.ts'), flow('regionLst', "this.inputOf('regionList')"));
    const bad = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: dir, encoding: 'utf8' });
    assert.equal(bad.status, 2, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /flow\.ts\(6,\d+\): error TS2769: No overload matches this call/);
    assert.match(bad.stdout, /Property 'regionLst' is missing in type 'RegionFlow'/);
    assert.match(
      bad.stdout,
      /flow\.ts\(7,\d+\): error TS2322: .*\n\s+Type 'string' is not assignable to type 'number'/,
    );
  });
});

describe('reading results, as the README shows it (12.4)', () => {
  it("runs the README's flow, then its client example, and dump previews arrays", async () => {
    const readme = await readFile(join(REPO, 'README.md'), 'utf8');
    const block = (title: string) => {
      const section = readme.split(/^## /m).find((s) => s.startsWith(title));
      const code = /```ts\n([\s\S]*?)```/.exec(section ?? '')?.[1];
      assert.ok(code, `the README's "${title}" section has a ts block`);
      return code;
    };
    const dir = join(ws.dir, 'readme-client');
    await mkdir(join(dir, 'node_modules'), { recursive: true });
    await symlink(REPO, join(dir, 'node_modules', 'stepflow'));
    await writeFile(join(dir, 'package.json'), '{ "name": "readme-client", "type": "module" }\n');
    await writeFile(join(dir, 'flow.ts'), block('A flow'));
    await writeFile(join(dir, 'read.ts'), block('Reading results'));
    const env = { METAFLOW_DATASTORE_SYSROOT_LOCAL: join(dir, '.stepflow') };
    const run = await runCli(['run', 'flow.ts'], { cwd: dir, env });
    assert.equal(run.code, 0, output(run));
    const runPath = run.stdout.split('\n')[0];
    const tsx = join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const read = spawnSync(process.execPath, [tsx, 'read.ts'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    assert.equal(read.status, 0, read.stdout + read.stderr);
    assert.match(read.stdout, new RegExp(`^${runPath} successful \\{ alpha: 0\\.01 \\}\n`));
    assert.match(read.stdout, new RegExp(`^${runPath}/train/\\d+ 0 0\\.01 \n`, 'm'));
    assert.match(read.stdout, /^best 0\.03$/m);
    assert.match(read.stdout, /^step true \[ 'alpha: number', 'shards: Array' \]$/m);
    const dump = await runCli(['dump', `${runPath}/start/1`], { cwd: dir, env });
    assert.equal(dump.code, 0, output(dump));
    assert.match(dump.stdout, /^shards\s+Array\s+\d+ B\s+\[1, 2, 3\]$/m);
  });
});
