import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecoratorOptionError } from '../../decorators/errors.js';
import { parseWithSpec, resolveDecorators } from '../../decorators/resolve.js';
import { extractFlows } from '../../graph/extract.js';
import { resourcesOf, resourcesPlugin } from './index.js';

const where = { flowName: 'MyFlow', stepName: 'train' };

describe('index', () => {
  it('@resources: defaults', () => {
    assert.deepEqual(resourcesPlugin.parseOptions({}, where), { cpu: 1, memory: 4096, gpu: 0 });
    assert.deepEqual(
      resourcesPlugin.parseOptions({ cpu: 0.25, memory: 512, gpu: 2, sharedMemory: 64 }, where),
      {
        cpu: 0.25,
        memory: 512,
        gpu: 2,
        sharedMemory: 64,
      },
    );
  });

  it('@resources: bad values name the option and the allowed range', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ cpu: 0 }, /option "cpu" must be a number of CPUs greater than 0 \(fractions allowed\) \(got 0\)/],
      [{ cpu: '4' }, /option "cpu" must be .* \(got "4"\)/],
      [{ memory: -5 }, /option "memory" must be a whole number of MiB greater than 0 \(got -5\)/],
      [{ memory: 1.5 }, /option "memory" must be a whole number of MiB/],
      [{ gpu: -1 }, /option "gpu" must be a whole number of GPUs, 0 or more \(got -1\)/],
      [{ gpu: 0.5 }, /option "gpu"/],
      [{ sharedMemory: 0 }, /option "sharedMemory" must be a whole number of MiB greater than 0 \(got 0\)/],
      [{ disk: 10 }, /unknown option "disk"\. Valid options: cpu, memory, gpu, sharedMemory\./],
    ];
    for (const [raw, pattern] of cases) {
      assert.throws(
        () => resourcesPlugin.parseOptions(raw, where),
        (err: unknown) =>
          err instanceof DecoratorOptionError &&
          /^@resources on step MyFlow\.train: /.test(err.message) &&
          pattern.test(err.message),
        JSON.stringify(raw),
      );
    }
  });

  it('@resources: snake_case from --with, and resourcesOf', () => {
    const graph = extractFlows(
      'f.ts',
      `import { FlowSpec, step } from 'stepflow';
export default class F extends FlowSpec { @step start() { this.next(this.end); } @step end() {} }`,
    ).flows[0];
    const byStep = resolveDecorators(graph, new Map(), [
      parseWithSpec('resources:memory=8192,shared_memory=256'),
    ]);
    const decorators = byStep.get('start') ?? [];
    assert.deepEqual(resourcesOf(decorators), { cpu: 1, memory: 8192, gpu: 0, sharedMemory: 256 });
    assert.equal(resourcesOf([]), undefined);
  });
});
