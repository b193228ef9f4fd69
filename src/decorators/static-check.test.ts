import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectFlow } from '../graph/extract.js';
import type { FlowGraph } from '../graph/types.js';
import { DecoratorError, DecoratorOptionError } from './errors.js';
import { registerStepDecorator } from './registry.js';
import { parseWithSpec } from './resolve.js';
import { checkDecorators } from './static-check.js';

// Plugins of this test only (names no built-in uses): the check must work through the registry alone.
registerStepDecorator<Record<string, unknown>>({
  name: 'scSize',
  optionNames: ['memory'],
  checkedOnlyAtRun: ['the cluster has room (needs the cluster)'],
  parseOptions: (raw, where) => {
    if (raw.memory !== undefined && !(typeof raw.memory === 'number' && raw.memory > 0)) {
      throw new DecoratorOptionError(`@scSize on step ${where.flowName}.${where.stepName}: bad memory`, {
        decorator: 'scSize',
        option: 'memory',
      });
    }
    return { memory: raw.memory ?? 1 };
  },
  stepInit: (ctx) => {
    if (ctx.decorators.some((d) => d.name === 'scLocal')) {
      throw new DecoratorError(`@scSize and @scLocal on ${ctx.stepName} do not go together`, {
        decorator: 'scSize',
      });
    }
  },
});
registerStepDecorator({ name: 'scLocal', optionNames: [], parseOptions: () => ({}) });

function graphOf(body: string, imports = 'FlowSpec, step, scSize, scLocal, gone'): FlowGraph {
  const source = `import { ${imports} } from 'stepflow';\nimport { mine } from './mine';\nexport default class F extends FlowSpec {\n${body}\n}\n`;
  const { graph } = selectFlow('flow.ts', source);
  assert.ok(graph);
  return graph;
}

const LINEAR = '  @step start() { this.next(this.end); }\n  @step end() {}';

describe('static-check', () => {
  it('every refused decorator is a problem at its line, with the message run prints', () => {
    const graph = graphOf(
      [
        '  @scSize({ memory: 0 })', // line 4
        '  @step start() { this.next(this.mid); }',
        '  @scSize({ memroy: 1 })', // line 6
        '  @step mid() { this.next(this.end); }',
        '  @scSize() @scLocal()', // line 8
        '  @step end() {}',
      ].join('\n'),
    );
    const { problems } = checkDecorators(graph, []);
    assert.deepEqual(
      problems.map((p) => [p.line, p.rule, p.step]),
      [
        [4, 'decorator-option', 'start'],
        [6, 'decorator-option', 'mid'],
        [8, 'decorator-conflict', 'end'],
      ],
    );
    assert.equal(problems[0]!.message, '@scSize on step F.start: bad memory');
    assert.match(problems[1]!.message, /unknown option "memroy"/);
    assert.equal(problems[1]!.hint, 'did you mean memory?');
    assert.ok(problems.every((p) => p.file === 'flow.ts' && p.hint !== ''));
  });

  it('--with decorators are checked on every step; an unknown one is named once, with a guess', () => {
    const graph = graphOf(LINEAR);
    const bad = checkDecorators(graph, [parseWithSpec('scSize:memory=-1')]);
    assert.deepEqual(
      bad.problems.map((p) => [p.step, p.line, p.rule]),
      [['start', 4, 'decorator-option']],
      'said once, not once per step',
    );
    const unknown = checkDecorators(graph, [parseWithSpec('scSise')]);
    assert.equal(unknown.problems.length, 1);
    assert.equal(unknown.problems[0]!.rule, 'unknown-decorator');
    assert.equal(unknown.problems[0]!.hint, 'did you mean scSize?');
  });

  it("a user's own decorator is left alone; one imported from stepflow that it lacks is unknown", () => {
    const graph = graphOf('  @mine() @gone()\n  @step start() { this.next(this.end); }\n  @step end() {}');
    const { problems } = checkDecorators(graph, []);
    assert.deepEqual(
      problems.map((p) => [p.rule, p.line]),
      [['unknown-decorator', 4]],
    );
    assert.match(problems[0]!.message, /unknown decorator "gone" on step F\.start/);
  });

  it('a valid flow: no problems, and what only a run checks, as each used plugin declares it', () => {
    const graph = graphOf(
      '  @scSize({ memory: 2 }) @scLocal()\n  @step start() { this.next(this.end); }\n  @step end() {}',
    );
    const withoutConflict = graphOf(
      '  @scSize({ memory: size })\n  @step start() { this.next(this.end); }\n  @step end() {}',
    );
    assert.equal(checkDecorators(graph, []).problems.length, 1, 'the conflict is reported');
    const { problems, notChecked } = checkDecorators(withoutConflict, []);
    assert.deepEqual(problems, []);
    assert.deepEqual(notChecked, [
      '@scSize: the cluster has room (needs the cluster)',
      'options computed at run time: @scSize on start (line 4)',
    ]);
    assert.deepEqual(checkDecorators(graphOf(LINEAR), []).notChecked, []);
  });
});
