import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DECORATOR_RULES, pluginGraphRules } from '../../src/decorators/static-check.js';
import { GRAPH_RULES } from '../../src/graph/validate.js';
import { FLOWS, INVALID, runCli, type Workspace, workspace } from './helpers.js';
import '../../src/plugins/index.js';

const fixtures = readdirSync(INVALID).filter((f) => f.endsWith('.ts'));

function expected(file: string): string[] {
  const text = readFileSync(join(INVALID, file), 'utf8');
  return [...text.matchAll(/\/\/ expect: ([\w-]+)/g)].map((m) => m[1]);
}

describe('stepflow check: one flow per rule', () => {
  it('has a fixture for every rule', () => {
    const covered = new Set(fixtures.flatMap(expected));
    const rules = [
      ...Object.keys(GRAPH_RULES),
      ...Object.keys(DECORATOR_RULES),
      ...Object.keys(pluginGraphRules()),
    ];
    const missing = rules.filter((rule) => !covered.has(rule));
    assert.deepEqual(missing, []);
  });
  for (const file of fixtures) {
    const rules = expected(file);
    it(`${file} reports ${rules.join(', ')} with file:line and a hint`, async () => {
      const r = await runCli(['check', join(INVALID, file)]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.ok(rules.length > 0, `${file} has an "// expect: rule" comment`);
      for (const rule of rules)
        assert.match(r.stderr, new RegExp(`\\[${rule}\\]|${rule}`), `${file}: ${rule}`);
      assert.match(r.stderr, new RegExp(`${file.replace('.', '\\.')}:\\d+`));
      assert.match(r.stderr, /hint:/);
    });
  }

  it('many-problems.ts: every problem at once, and run refuses it with the same messages', async () => {
    const check = await runCli(['check', join(INVALID, 'many-problems.ts')]);
    const run = await runCli(['run', join(INVALID, 'many-problems.ts')]);
    assert.equal(run.code, 1);
    const problems = check.stderr.split('\n').filter((l) => /many-problems\.ts:\d+/.test(l));
    assert.ok(problems.length >= 4, check.stderr);
    for (const p of problems) assert.ok(run.stderr.includes(p), `run repeats: ${p}`);
    assert.doesNotMatch(run.stdout, /started/);
  });
});

describe('stepflow check/show on a valid flow', () => {
  it('check says it is fine', async () => {
    const r = await runCli(['check', join(FLOWS, 'nested-foreach-flow.ts')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no problems/);
  });
  it('show prints the graph', async () => {
    const r = await runCli(['show', join(FLOWS, 'branch-flow.ts')]);
    assert.equal(r.code, 0, r.stderr);
    for (const s of ['start', 'a', 'b', 'join', 'end']) assert.match(r.stdout, new RegExp(`\\b${s}\\b`));
    assert.match(r.stdout, /branch/);
    assert.match(r.stdout, /join/);
  });
});

describe('stepflow check refuses what run refuses (decorator options and static checks)', () => {
  const cases: Record<string, string> = {
    batch: '@batch({ memory: 0 })',
    retry: '@retry({ times: 9 })',
    timeout: '@timeout({ seconds: -1 })',
    resources: '@resources({ cpu: 0 })',
  };
  let ws: Workspace;
  before(async () => {
    ws = await workspace();
  });
  after(() => ws.cleanup());

  const flowWith = async (name: string, decorator: string): Promise<string> => {
    const file = join(ws.dir, `${name}-flow.ts`);
    await writeFile(
      file,
      [
        "import { batch, FlowSpec, resources, retry, step, timeout } from 'stepflow';",
        'export default class OptionsFlow extends FlowSpec {',
        `  ${decorator}`,
        '  @step start() {',
        '    this.next(this.end);',
        '  }',
        '  @step end() {}',
        '}',
        '',
      ].join('\n'),
    );
    return file;
  };

  for (const [name, decorator] of Object.entries(cases)) {
    it(`${decorator}: the same message in check (file:line, rule, hint) and run, exit code 1 for both`, async () => {
      const file = await flowWith(name, decorator);
      const check = await runCli(['check', file], { cwd: ws.dir });
      const run = await runCli(['run', file, '--datastore-root', ws.root], { cwd: ws.dir });
      assert.equal(check.code, 1, check.stdout + check.stderr);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      const message = /stepflow: error: (.*)/.exec(run.stderr)?.[1];
      assert.ok(message?.startsWith(`@${name} on step OptionsFlow.start:`), run.stderr);
      assert.ok(check.stderr.includes(`${name}-flow.ts:3: ${message} [decorator-option]`), check.stderr);
      assert.match(check.stderr, /\n {2}hint: /);
      assert.doesNotMatch(run.stdout, /OptionsFlow\/\d+/, 'run refuses before naming a run');
    });
  }

  it('--with batch:memory=0: check refuses it as run does; a valid @batch says what only run checks', async () => {
    const flow = join(FLOWS, 'linear-flow.ts');
    const check = await runCli(['check', flow, '--with', 'batch:memory=0'], { cwd: ws.dir });
    const run = await runCli(['run', flow, '--with', 'batch:memory=0', '--datastore-root', ws.root], {
      cwd: ws.dir,
    });
    assert.equal(check.code, 1, check.stdout + check.stderr);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const message = /stepflow: error: (.*)/.exec(run.stderr)?.[1] ?? '(run printed no error)';
    assert.ok(check.stderr.includes(`${message} [decorator-option]`), check.stderr);

    const ok = await runCli(['check', flow, '--with', 'batch:memory=8192'], { cwd: ws.dir });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /no problems found/);
    assert.match(ok.stdout, /^Not checked here \(run checks it\): .*job queue.*needs AWS/m);
    const typo = await runCli(['check', flow, '--with', 'retyr'], { cwd: ws.dir });
    assert.equal(typo.code, 1);
    assert.match(
      typo.stderr,
      /unknown decorator "retyr" in --with.*\[unknown-decorator\]\n {2}hint: did you mean retry\?/,
    );
  });
});
