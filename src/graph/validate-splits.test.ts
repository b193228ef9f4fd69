import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectRule, flowSource as flow, problemsOf } from '../../test/support/graph-source.js';
import { analyzeGraph } from './analyze.js';

function rules(source: string): string[] {
  return problemsOf(source).map((p) => p.rule);
}

const JOIN = (name: string, to = 'end') => `  @step ${name}(inputs: Inputs<F>) { this.next(this.${to}); }`;

describe('validate-splits', () => {
  it('valid branch, foreach and nested flows have no problems', () => {
    const branch = flow(
      `  @step start() { this.next(this.a, this.b); }\n  @step a() { this.next(this.j); }\n  @step b() { this.next(this.j); }\n${JOIN('j')}\n  @step end() {}`,
    );
    assert.deepEqual(problemsOf(branch), []);
    const nested = flow(
      [
        "  @step start() { this.xs = [1]; this.next(this.a, { foreach: 'xs' }); }",
        "  @step a() { this.ys = [1]; this.next(this.b, { foreach: 'ys' }); }",
        '  @step b() { this.next(this.c, this.d); }',
        '  @step c() { this.next(this.jcd); }',
        '  @step d() { this.next(this.jcd); }',
        JOIN('jcd', 'jb'),
        JOIN('jb', 'ja'),
        JOIN('ja'),
        '  @step end() {}',
      ].join('\n'),
    );
    assert.deepEqual(problemsOf(nested), []);
  });

  it('unreachable', () => {
    const source = flow(
      '  @step start() { this.next(this.end); }\n  @step orphan() { this.next(this.end); }\n  @step end() {}',
    );
    const problem = expectRule(source, 'unreachable', 'orphan()');
    assert.match(problem.message, /F\.orphan is never reached from start/);
  });

  it('cycle names the steps on it', () => {
    const source = flow(
      '  @step start() { this.next(this.a); }\n  @step a() { this.next(this.b); }\n  @step b() { this.next(this.a); }\n  @step end() {}',
    );
    const problem = expectRule(source, 'cycle', 'a() {');
    assert.match(problem.message, /a → b → a/);
    const self = flow('  @step start() { this.next(this.start); }\n  @step end() {}');
    assert.match(expectRule(self, 'cycle', 'start()').message, /start → start/);
  });

  it('join-without-inputs: a step reached from several steps', () => {
    const source = flow(
      '  @step start() { this.next(this.a, this.b); }\n  @step a() { this.next(this.j); }\n  @step b() { this.next(this.j); }\n  @step j() { this.next(this.end); }\n  @step end() {}',
    );
    const problem = expectRule(source, 'join-without-inputs', 'j() {');
    assert.match(problem.message, /reached from a and b/);
    assert.deepEqual(
      rules(source),
      ['join-without-inputs'],
      'the open split is explained by the missing join',
    );
  });

  it('join-without-inputs at end when branches go straight to end', () => {
    const source = flow(
      '  @step start() { this.next(this.a, this.b); }\n  @step a() { this.next(this.end); }\n  @step b() { this.next(this.end); }\n  @step end() {}',
    );
    const problem = expectRule(source, 'join-without-inputs', 'end()');
    assert.match(problem.hint, /join step/);
  });

  it('join-not-after-split', () => {
    const source = flow(`  @step start() { this.next(this.j); }\n${JOIN('j')}\n  @step end() {}`);
    expectRule(source, 'join-not-after-split', 'j(inputs');
  });

  it('split-not-joined: a foreach that reaches end open', () => {
    const source = flow(
      "  @step start() { this.xs = [1]; this.next(this.a, { foreach: 'xs' }); }\n  @step a() { this.next(this.end); }\n  @step end() {}",
    );
    const problem = expectRule(source, 'split-not-joined', 'start()');
    assert.match(problem.message, /foreach over xs started at start/);
    assert.match(problem.hint, /between a and end/);
    const later = flow(
      "  @step start() { this.xs = [1]; this.next(this.a, { foreach: 'xs' }); }\n  @step a() { this.next(this.collect); }\n  @step collect() { this.next(this.end); }\n  @step end() {}",
    );
    assert.match(expectRule(later, 'split-not-joined', 'start()').hint, /give collect an `inputs` parameter/);
  });

  it('split-not-joined: a branch whose paths go to different joins', () => {
    const source = flow(
      [
        '  @step start() { this.next(this.a, this.b, this.c); }',
        '  @step a() { this.next(this.j); }',
        '  @step b() { this.next(this.j); }',
        '  @step c() { this.next(this.end); }',
        JOIN('j'),
        '  @step end() {}',
      ].join('\n'),
    );
    const problem = expectRule(source, 'split-not-joined', 'start()');
    assert.match(problem.message, /3 paths, but only 2/);
  });

  it('mismatched-join: inputs from an inner and an outer split', () => {
    const source = flow(
      [
        '  @step start() { this.next(this.a, this.b); }',
        '  @step a() { this.next(this.a1, this.a2); }',
        '  @step a1() { this.next(this.j); }',
        '  @step a2() { this.next(this.j); }',
        '  @step b() { this.next(this.j); }',
        JOIN('j'),
        '  @step end() {}',
      ].join('\n'),
    );
    const problem = expectRule(source, 'mismatched-join', 'j(inputs');
    assert.match(problem.message, /a1 and a2 \(split at a\); b \(split at start\)/);
    assert.ok(!rules(source).includes('split-not-joined'));
  });

  it('every problem is reported at once, sorted by line', () => {
    const source = flow(
      [
        '  @step start() { this.next(this.a, this.nope); }',
        '  @step a() { this.x = 1; }',
        '  @step orphan() { this.next(this.orphan); }',
        '  @step end() { this.next(this.start); }',
      ].join('\n'),
    );
    const found = problemsOf(source);
    assert.deepEqual([...new Set(found.map((p) => p.rule))].sort(), [
      'cycle',
      'end-has-next',
      'no-next',
      'unknown-target',
      'unreachable',
    ]);
    const lines = found.map((p) => p.line);
    assert.deepEqual(
      lines,
      [...lines].sort((x, y) => x - y),
    );
  });

  it('analyzeGraph tolerates unknown targets and a missing start', () => {
    const analysis = analyzeGraph([
      { name: 'a', next: ['b', 'ghost'], isJoin: false },
      { name: 'b', next: [], isJoin: false },
    ]);
    assert.deepEqual([...analysis.reachable], ['a', 'b']);
    assert.deepEqual(analysis.inFuncs.get('b'), ['a']);
    assert.deepEqual(analysis.cycles, []);
  });
});
