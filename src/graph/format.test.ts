import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError } from './errors.js';
import { selectFlow } from './extract.js';
import { formatDecorator, formatGraph, formatProblems } from './format.js';
import type { GraphProblem } from './types.js';

const SOURCE = `import { FlowSpec, step, parameter, retry, batch, type Inputs } from 'stepflow';
export default class TrainFlow extends FlowSpec {
  @parameter({ help: 'learning rate' }) alpha = 0.01;
  @step start() { this.shards = [1, 2, 3]; this.next(this.train, { foreach: 'shards' }); }
  @retry({ times: 2 }) @batch({ cpu: 2, memory: 8192 })
  @step train() { this.next(this.join); }
  @step join(inputs: Inputs<TrainFlow>) { this.next(this.end); }
  @step end() {}
}
`;

describe('format', () => {
  it('formatGraph lists steps in order with kinds, decorators, targets and parameters', () => {
    const { graph } = selectFlow('flow.ts', SOURCE);
    assert.ok(graph);
    assert.equal(
      formatGraph(graph),
      [
        'TrainFlow (flow.ts)',
        'Parameters: alpha',
        'Step start  [foreach]  → train (foreach over shards)',
        'Step train  [linear]   @retry(times=2) @batch(cpu=2, memory=8192)  → join',
        'Step join   [join of start]  → end',
        'Step end    [end]',
      ].join('\n'),
    );
  });

  it('formatGraph shows branches, a missing next and no parameter line', () => {
    const source = `import { FlowSpec, step } from 'stepflow';
class F extends FlowSpec {
  @step start() { this.next(this.a, this.b); }
  @step a() {}
  @step b() { this.next(this.end); }
  @step end() {}
}`;
    const { graph } = selectFlow('f.ts', source);
    assert.ok(graph);
    const text = formatGraph(graph);
    assert.match(text, /^Step start {2}\[branch\] {3}→ a, b$/m);
    assert.match(text, /^Step a {6}\[linear\] {3}→ \(no next\)$/m);
    assert.ok(!text.includes('Parameters'));
  });

  it('formatDecorator quotes strings and shows dynamic options as source', () => {
    assert.equal(formatDecorator({ name: 'retry', options: {}, line: 1 }), '@retry');
    assert.equal(
      formatDecorator({
        name: 'batch',
        options: { image: 'node:20', tags: ['a'], useTmpfs: true },
        dynamic: { memory: 'MEM * 2', '0': 'extra' },
        line: 1,
      }),
      '@batch(image="node:20", tags=["a"], useTmpfs=true, extra, memory=MEM * 2)',
    );
  });

  const PROBLEMS: GraphProblem[] = [
    { rule: 'no-end', message: 'F has no end step', hint: 'add `@step end() {}`', file: 'flow.ts', line: 2 },
    {
      rule: 'unknown-target',
      message: 'step F.start goes to edn',
      hint: 'did you mean this.end?',
      file: 'flow.ts',
      line: 3,
      step: 'start',
    },
  ];

  it('formatProblems gives one block per problem', () => {
    assert.equal(
      formatProblems(PROBLEMS),
      'flow.ts:2: F has no end step [no-end]\n  hint: add `@step end() {}`\nflow.ts:3: step F.start goes to edn [unknown-target]\n  hint: did you mean this.end?',
    );
    assert.equal(formatProblems([]), '');
  });

  it('GraphError carries the problems and formats them as its message', () => {
    const cause = new Error('root');
    const error = new GraphError(PROBLEMS, { flow: 'F', cause });
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'GraphError');
    assert.equal(error.message, formatProblems(PROBLEMS));
    assert.equal(error.problems, PROBLEMS);
    assert.equal(error.flow, 'F');
    assert.equal(error.file, 'flow.ts');
    assert.equal(error.cause, cause);
    assert.deepEqual(error.rules, ['no-end', 'unknown-target']);
  });
});
