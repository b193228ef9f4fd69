import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineWith } from '../../test/support/graph-source.js';
import { extractFlows, selectFlow } from './extract.js';
import type { FlowGraph } from './types.js';

const IMPORTS =
  "import { FlowSpec, step, parameter, retry, batch, catchError, type Inputs } from 'stepflow';\n";

function only(source: string): FlowGraph {
  const { graph, problems } = selectFlow('flow.ts', source);
  assert.deepEqual(problems, []);
  assert.ok(graph);
  return graph;
}

const TRAIN = `${IMPORTS}export default class TrainFlow extends FlowSpec {
  @parameter({ help: 'learning rate' }) alpha = 0.01;
  declare shards: number[];
  @step start() { this.shards = [1, 2, 3]; this.next(this.train, { foreach: 'shards' }); }
  @retry({ times: 2 }) @batch({ cpu: 2, memory: 8192 })
  @step train() { this.score = this.input * this.alpha; this.next(this.join); }
  @step join(inputs: Inputs<TrainFlow>) { this.next(this.a, this.b); }
  @step a() { this.next(this.j2); }
  @step b() { this.next(this.j2); }
  @step j2(inputs: Inputs<TrainFlow>) { this.mergeArtifacts(inputs); this.next(this.end); }
  @step async end() {}
}
`;

describe('extract', () => {
  it('reads the steps, kinds, targets and lines of the example flow', () => {
    const graph = only(TRAIN);
    assert.equal(graph.flowName, 'TrainFlow');
    assert.equal(graph.file, 'flow.ts');
    assert.equal(graph.line, 2);
    assert.deepEqual(graph.order, ['start', 'train', 'join', 'a', 'b', 'j2', 'end']);
    const kinds = graph.order.map((name) => graph.steps[name]!.kind);
    assert.deepEqual(kinds, ['foreach', 'linear', 'join', 'linear', 'linear', 'join', 'end']);
    assert.equal(graph.steps.start!.foreach, 'shards');
    assert.deepEqual(graph.steps.start!.next, ['train']);
    assert.deepEqual(graph.steps.join!.next, ['a', 'b']);
    assert.equal(graph.steps.join!.isJoin, true);
    assert.equal(graph.steps.end!.isAsync, true);
    assert.equal(graph.steps.train!.isAsync, false);
    assert.equal(graph.steps.train!.line, lineWith(TRAIN, 'train()'));
    assert.deepEqual(graph.parameters, [{ name: 'alpha', line: 3 }]);
  });

  it('records other decorators outermost first, with options and lines', () => {
    const graph = only(TRAIN);
    assert.deepEqual(graph.steps.train!.decorators, [
      { name: 'retry', options: { times: 2 }, line: 6 },
      { name: 'batch', options: { cpu: 2, memory: 8192 }, line: 6 },
    ]);
    assert.deepEqual(graph.steps.start!.decorators, []);
  });

  it('fills inFuncs, splitParents and matchingSplit (foreach, then a join that branches)', () => {
    const graph = only(TRAIN);
    const s = graph.steps;
    assert.deepEqual(s.train!.inFuncs, ['start']);
    assert.deepEqual(s.train!.splitParents, ['start']);
    assert.equal(s.join!.matchingSplit, 'start');
    assert.deepEqual(s.join!.splitParents, ['start']);
    assert.deepEqual(s.a!.splitParents, ['join']);
    assert.deepEqual(s.j2!.inFuncs, ['a', 'b']);
    assert.equal(s.j2!.matchingSplit, 'join');
    assert.deepEqual(s.end!.splitParents, []);
    assert.equal(s.start!.matchingSplit, undefined);
    assert.ok(!('matchingSplit' in s.a!), 'absent keys are left out, so the graph round-trips through JSON');
    assert.deepEqual(JSON.parse(JSON.stringify(graph)), graph);
  });

  it('nested foreach inside a branch', () => {
    const source = `${IMPORTS}export default class Nested extends FlowSpec {
  @step start() { this.next(this.a, this.b); }
  @step a() { this.xs = [1, 2]; this.next(this.outer, { foreach: 'xs' }); }
  @step outer() { this.ys = [3]; this.next(this.inner, { foreach: 'ys' }); }
  @step inner() { this.next(this.joinInner); }
  @step joinInner(inputs: Inputs<Nested>) { this.next(this.joinOuter); }
  @step joinOuter(inputs: Inputs<Nested>) { this.next(this.joinAB); }
  @step b() { this.next(this.joinAB); }
  @step joinAB(inputs: Inputs<Nested>) { this.next(this.end); }
  @step end() {}
}
`;
    const s = only(source).steps;
    assert.equal(s.start!.kind, 'branch');
    assert.equal(s.a!.kind, 'foreach');
    assert.deepEqual(s.inner!.splitParents, ['start', 'a', 'outer']);
    assert.equal(s.joinInner!.matchingSplit, 'outer');
    assert.equal(s.joinOuter!.matchingSplit, 'a');
    assert.equal(s.joinAB!.matchingSplit, 'start');
    assert.deepEqual(s.joinAB!.inFuncs, ['joinOuter', 'b']);
    assert.deepEqual(s.joinOuter!.splitParents, ['start', 'a']);
    assert.deepEqual(s.b!.splitParents, ['start']);
  });

  it('accepts @step(), aliases and namespace access for step, parameter and FlowSpec', () => {
    const source = `import * as sf from 'stepflow';
import { FlowSpec as Base, step as s, parameter as param, batch as onBatch } from 'stepflow';
export class A extends sf.FlowSpec {
  @sf.parameter() p = 1;
  @sf.step() start() { this.next(this.end); }
  @sf.batch({ cpu: 1 }) @sf.step end() {}
}
export default class B extends Base {
  @param({ help: 'h' }) q = 2;
  @s() start() { this.next(this.end); }
  @onBatch @s end() {}
}
`;
    const { flows, problems } = extractFlows('flow.ts', source);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      flows.map((f) => f.flowName),
      ['A', 'B'],
    );
    const [a, b] = flows;
    assert.deepEqual(a!.order, ['start', 'end']);
    assert.deepEqual(a!.parameters, [{ name: 'p', line: 4 }]);
    assert.deepEqual(a!.steps.end!.decorators, [{ name: 'batch', options: { cpu: 1 }, line: 6 }]);
    assert.deepEqual(
      b!.parameters.map((p) => p.name),
      ['q'],
    );
    assert.deepEqual(b!.steps.end!.decorators, [{ name: 'batch', options: {}, line: 11 }]);
  });

  it('methods without @step are not steps; kinds follow the rules', () => {
    const source = `${IMPORTS}class F extends FlowSpec {
  helper() { return 1; }
  @step start() { this.next(this.x, this.y); }
  @step x() { this.next(this.j); }
  @step y() { this.next(this.j); }
  @step j(inputs: Inputs<F>) { this.next(this.end); }
  @step end() {}
}`;
    const graph = only(source);
    assert.deepEqual(graph.order, ['start', 'x', 'y', 'j', 'end']);
    assert.equal(graph.steps.start!.kind, 'branch');
    assert.equal(graph.steps.j!.kind, 'join');
    assert.equal(graph.steps.end!.kind, 'end');
  });

  it('selection: one flow, the default export, a named one, ambiguity, none', () => {
    const two = `${IMPORTS}class A extends FlowSpec {}\nclass B extends FlowSpec {}\n`;
    const ambiguous = selectFlow('two.ts', two);
    assert.equal(ambiguous.graph, undefined);
    assert.equal(ambiguous.problems[0]!.rule, 'ambiguous-flow');
    assert.match(ambiguous.problems[0]!.message, /A, B/);
    assert.equal(ambiguous.problems[0]!.hint, 'export the flow class as default, or pass --flow NAME');
    assert.equal(selectFlow('two.ts', two, 'B').graph?.flowName, 'B');
    assert.equal(selectFlow('two.ts', `${two}export default B;\n`).graph?.flowName, 'B');
    assert.equal(selectFlow('two.ts', `${two}export { A as default };\n`).graph?.flowName, 'A');
    assert.equal(selectFlow('two.ts', `${two}export { A as default };\n`, 'B').graph?.flowName, 'B');

    const missing = selectFlow('two.ts', two, 'C');
    assert.equal(missing.problems[0]!.rule, 'flow-not-found');
    assert.match(missing.problems[0]!.hint, /A, B/);

    const none = selectFlow('plain.ts', 'export class NotAFlow extends Base {}\n');
    assert.equal(none.problems[0]!.rule, 'no-flow');
    assert.equal(none.problems[0]!.message, 'no class extends FlowSpec in plain.ts');
  });

  it('an anonymous default flow class is a problem', () => {
    const { flows, problems } = extractFlows('a.ts', `${IMPORTS}export default class extends FlowSpec {}`);
    assert.deepEqual(flows, []);
    assert.equal(problems[0]!.rule, 'anonymous-flow');
  });

  it('syntax errors are reported with their line', () => {
    const { problems } = extractFlows(
      'bad.ts',
      `${IMPORTS}class F extends FlowSpec {\n  @step start() { this.next(this.end; }\n}`,
    );
    assert.equal(problems[0]!.rule, 'syntax-error');
    assert.equal(problems[0]!.line, 3);
  });

  it('extraction of a normal flow is fast', () => {
    extractFlows('flow.ts', TRAIN);
    const started = performance.now();
    for (let i = 0; i < 10; i += 1) extractFlows('flow.ts', TRAIN);
    assert.ok((performance.now() - started) / 10 < 50);
  });
});
