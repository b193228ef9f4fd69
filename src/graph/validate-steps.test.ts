import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectRule, flowSource as flow, lineWith, problemsOf } from '../../test/support/graph-source.js';
import { selectFlow } from './extract.js';
import { validateGraph } from './validate.js';

const LINEAR = `  @step start() { this.next(this.end); }
  @step end() {}`;

describe('validate-steps', () => {
  it('a valid linear flow has no problems', () => {
    assert.deepEqual(problemsOf(flow(LINEAR)), []);
  });

  it('no-start and no-end', () => {
    const source = flow(
      '  @step middle() { this.next(this.middle2); }\n  @step middle2() { this.next(this.middle); }',
    );
    const problem = expectRule(source, 'no-start', 'class F');
    assert.match(problem.message, /F has no start step/);
    expectRule(source, 'no-end', 'class F');
  });

  it('unknown-target, with a suggestion, and a helper without @step', () => {
    const typo = flow('  @step start() { this.next(this.edn); }\n  @step end() {}');
    const problem = expectRule(typo, 'unknown-target', 'this.next(this.edn)');
    assert.match(problem.message, /F\.start goes to edn/);
    assert.equal(problem.hint, 'did you mean this.end?');
    assert.equal(problem.step, 'start');

    const helper = flow('  @step start() { this.next(this.helper); }\n  helper() {}\n  @step end() {}');
    const lacks = expectRule(helper, 'unknown-target', 'this.next(this.helper)');
    assert.match(lacks.message, /lacks @step/);
  });

  it('no-next, multiple-next, next-not-last and end-has-next', () => {
    expectRule(flow('  @step start() { this.x = 1; }\n  @step end() {}'), 'no-next', 'start()');
    const twice = flow(
      '  @step start() {\n    if (Math.random() > 0.5) this.next(this.a);\n    else this.next(this.end);\n  }\n  @step a() { this.next(this.end); }\n  @step end() {}',
    );
    const multiple = expectRule(twice, 'multiple-next', 'else this.next');
    assert.match(multiple.message, /2 times/);
    expectRule(
      flow('  @step start() {\n    this.next(this.end);\n    console.log(1);\n  }\n  @step end() {}'),
      'next-not-last',
      'this.next(this.end)',
    );
    expectRule(
      flow('  @step start() {\n    [1].forEach(() => this.next(this.end));\n  }\n  @step end() {}'),
      'next-not-last',
      '[1].forEach',
    );
    expectRule(
      flow('  @step start() { this.next(this.end); }\n  @step end() { this.next(this.start); }'),
      'end-has-next',
      'end() {',
    );
  });

  it('next as `return`, `await` or last statement is fine', () => {
    const source = flow(
      '  @step async start() { await Promise.resolve(); return this.next(this.a); }\n  @step a() { void this.next(this.end); }\n  @step end() {}',
    );
    assert.deepEqual(problemsOf(source), []);
  });

  it('bad-next-argument for strings and non-literal foreach', () => {
    expectRule(
      flow("  @step start() { this.next('end'); }\n  @step end() {}"),
      'bad-next-argument',
      "this.next('end')",
    );
    const dyn = flow(
      '  @step start() { this.xs = [1]; this.next(this.a, { foreach: name }); }\n  @step a() { this.next(this.j); }\n  @step j(i: Inputs<F>) { this.next(this.end); }\n  @step end() {}',
    );
    expectRule(dyn, 'bad-next-argument', 'this.next(this.a, { foreach: name })');
  });

  it('foreach-multiple-targets and foreach-field-unassigned', () => {
    const many = flow(
      "  @step start() { this.xs = [1]; this.next(this.a, this.b, { foreach: 'xs' }); }\n  @step a() { this.next(this.j); }\n  @step b() { this.next(this.j); }\n  @step j(inputs: Inputs<F>) { this.next(this.end); }\n  @step end() {}",
    );
    expectRule(many, 'foreach-multiple-targets', "this.next(this.a, this.b, { foreach: 'xs' })");
    const unassigned = flow(
      "  @step start() { this.items = [1]; this.next(this.a, { foreach: 'itmes' }); }\n  @step a() { this.next(this.j); }\n  @step j(inputs: Inputs<F>) { this.next(this.end); }\n  @step end() {}",
    );
    const problem = expectRule(unassigned, 'foreach-field-unassigned', 'this.next(this.a');
    assert.match(problem.message, /itmes/);
  });

  it('a foreach over a parameter, a field initializer or a destructured assignment is fine', () => {
    const tail =
      '  @step a() { this.next(this.j); }\n  @step j(inputs: Inputs<F>) { this.next(this.end); }\n  @step end() {}';
    const overParameter = `  @parameter({}) xs = [1, 2];\n  @step start() { this.next(this.a, { foreach: 'xs' }); }\n${tail}`;
    assert.deepEqual(problemsOf(flow(overParameter)), []);
    const overField = `  xs = [1, 2];\n  @step start() { this.next(this.a, { foreach: 'xs' }); }\n${tail}`;
    assert.deepEqual(problemsOf(flow(overField)), []);
    const destructured = `  @step start() { [this.xs] = [[1]]; this.next(this.a, { foreach: 'xs' }); }\n${tail}`;
    assert.deepEqual(problemsOf(flow(destructured)), []);
    const inHelper = `  @step start() { this.fill(); this.next(this.a, { foreach: 'xs' }); }\n  fill() { this.xs = [1]; }\n${tail}`;
    assert.deepEqual(problemsOf(flow(inHelper)), []);
  });

  it('decorator-without-step', () => {
    const source = flow(`${LINEAR}\n  @retry({ times: 2 }) helper() {}`);
    const problem = expectRule(source, 'decorator-without-step', 'helper()');
    assert.match(problem.message, /@retry but no @step/);
    assert.equal(problem.hint, 'add @step, or remove the decorators');
  });

  it('reserved-name for step names, underscore names and reserved assignments', () => {
    expectRule(
      flow(
        `  @step start() { this.next(this.input); }\n  @step input() { this.next(this.end); }\n  @step end() {}`,
      ),
      'reserved-name',
      'input() {',
    );
    expectRule(
      flow(
        `  @step start() { this.next(this._x); }\n  @step _x() { this.next(this.end); }\n  @step end() {}`,
      ),
      'reserved-name',
      '_x() {',
    );
    const assigns = flow(
      '  @step start() {\n    this.index = 3;\n    this.next(this.end);\n  }\n  @step end() {}',
    );
    const problem = expectRule(assigns, 'reserved-name', 'this.index = 3');
    assert.match(problem.message, /this\.index/);
  });

  it('start-takes-inputs, end-takes-inputs and too-many-parameters', () => {
    expectRule(
      flow('  @step start(inputs: unknown) { this.next(this.end); }\n  @step end() {}'),
      'start-takes-inputs',
      'start(',
    );
    const endJoin = flow(
      '  @step start() { this.next(this.a, this.b); }\n  @step a() { this.next(this.end); }\n  @step b() { this.next(this.end); }\n  @step end(inputs: Inputs<F>) {}',
    );
    expectRule(endJoin, 'end-takes-inputs', 'end(');
    expectRule(
      flow('  @step start(a: number, b: number) { this.next(this.end); }\n  @step end() {}'),
      'too-many-parameters',
      'start(',
    );
  });

  it('duplicate-name, parameter-assigned and step-not-method', () => {
    const duplicate = flow(`${LINEAR}\n  @step end() {}`);
    const problem = problemsOf(duplicate).find((p) => p.rule === 'duplicate-name');
    assert.equal(problem?.line, lineWith(duplicate, '@step end() {}\n}'));
    expectRule(
      flow(
        '  @parameter({}) alpha = 1;\n  @step start() { this.alpha = 2; this.next(this.end); }\n  @step end() {}',
      ),
      'parameter-assigned',
      'this.alpha = 2',
    );
    expectRule(flow(`${LINEAR}\n  @step notAMethod = 1;`), 'step-not-method', 'notAMethod');
  });

  it('a graph read back from JSON gets the graph-only rules', () => {
    const { graph } = selectFlow(
      'flow.ts',
      flow('  @step start() { this.next(this.edn); }\n  @step end() {}'),
    );
    const copy = JSON.parse(JSON.stringify(graph));
    assert.deepEqual(
      validateGraph(copy).map((p) => p.rule),
      ['unknown-target', 'unreachable'],
    );
  });

  it("foreach-into-join (Metaflow's check_empty_foreaches)", () => {
    const source = flow(
      [
        "  @step start() { this.xs = [1]; this.next(this.j, { foreach: 'xs' }); } // here",
        '  @step j(inputs: Inputs<F>) { this.next(this.end); }',
        '  @step end() {}',
      ].join('\n'),
    );
    const problem = expectRule(source, 'foreach-into-join', '// here');
    assert.match(problem.message, /F\.start starts a foreach over xs that goes straight to the join j/);
  });

  it("invalid-step-name for quoted names (Metaflow's check_step_names), camelCase is fine", () => {
    const source = flow(
      "  @step start() { this.next(this['a b']); }\n  @step 'a b'() { this.next(this.end); }\n  @step end() {}",
    );
    expectRule(source, 'invalid-step-name', "@step 'a b'");
    const camel = flow(
      '  @step start() { this.next(this.trainModel2); }\n  @step trainModel2() { this.next(this.end); }\n  @step end() {}',
    );
    assert.deepEqual(problemsOf(camel), []);
  });

  it('bad-next-argument for an option other than foreach (numParallel, a switch condition)', () => {
    const source = flow(
      "  @step start() { this.xs = [1]; this.next(this.a, { foreach: 'xs', numParallel: 2 }); }\n  @step a() { this.next(this.j); }\n  @step j(inputs: Inputs<F>) { this.next(this.end); }\n  @step end() {}",
    );
    const problem = expectRule(source, 'bad-next-argument', 'numParallel');
    assert.match(problem.message, /`numParallel: 2`/);
  });
});
