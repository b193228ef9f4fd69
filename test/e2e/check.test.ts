import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FLOWS, INVALID, runCli } from './helpers.js';

const fixtures = readdirSync(INVALID).filter((f) => f.endsWith('.ts'));

function expected(file: string): string[] {
  const text = readFileSync(join(INVALID, file), 'utf8');
  return [...text.matchAll(/\/\/ expect: ([\w-]+)/g)].map((m) => m[1]);
}

describe('stepflow check: one flow per rule', () => {
  it('has fixtures', () => assert.ok(fixtures.length >= 15));
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
