import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StepDecoratorUse } from '../flow/metadata.js';
import type { FlowGraph } from '../graph/types.js';
import type { StepDecoratorPlugin, StepInitContext } from './contract.js';
import { DecoratorError, DecoratorOptionError, UnknownDecoratorError } from './errors.js';
import { registerStepDecorator } from './registry.js';
import { camelCase, parseOptionValue, parseWithSpec, resolveDecorators } from './resolve.js';

const inits: Array<StepInitContext<Record<string, unknown>>> = [];

registerStepDecorator<Record<string, unknown>>({
  name: 'fakeRetry',
  optionNames: ['times', 'minutesBetweenRetries'],
  parseOptions: (raw, where) => {
    const times = raw.times ?? 3;
    if (typeof times !== 'number' || times > 5) {
      throw new DecoratorOptionError(`bad times on ${where.stepName}`, {
        decorator: 'fakeRetry',
        option: 'times',
      });
    }
    return { times, minutesBetweenRetries: raw.minutesBetweenRetries ?? 2 };
  },
  stepInit: (ctx) => inits.push(ctx),
});
registerStepDecorator<Record<string, unknown>>({
  name: 'fakeBatch',
  optionNames: ['cpu', 'sharedMemory', 'useTmpfs'],
  parseOptions: (raw) => ({ ...raw }),
});
const multi: StepDecoratorPlugin = {
  name: 'fakeEnv',
  optionNames: ['vars'],
  allowMultiple: true,
  parseOptions: (raw) => ({ ...raw }),
};
registerStepDecorator(multi);
registerStepDecorator({ name: 'catchError', optionNames: ['var'], parseOptions: (raw) => ({ ...raw }) });

const graph = {
  flowName: 'F',
  file: 'f.ts',
  line: 1,
  steps: {},
  order: ['start', 'train', 'end'],
  parameters: [],
} as unknown as FlowGraph;

const use = (name: string, options: Record<string, unknown> = {}): StepDecoratorUse => ({
  name,
  options,
  source: 'static',
});

describe('resolve', () => {
  it('parseWithSpec: name only, options, numbers, snake_case kept as written', () => {
    assert.deepEqual(parseWithSpec('fakeRetry'), { name: 'fakeRetry', options: {} });
    assert.deepEqual(parseWithSpec('fakeRetry:'), { name: 'fakeRetry', options: {} });
    assert.deepEqual(parseWithSpec('retry:times=2'), { name: 'retry', options: { times: 2 } });
    assert.deepEqual(parseWithSpec('batch:cpu=4,shared_memory=1024'), {
      name: 'batch',
      options: { cpu: 4, shared_memory: 1024 },
    });
    assert.deepEqual(parseWithSpec('batch: cpu = 4 , queue=my-queue,use_tmpfs=true'), {
      name: 'batch',
      options: { cpu: 4, queue: 'my-queue', use_tmpfs: true },
    });
  });

  it('parseWithSpec: JSON values may contain commas and equals signs', () => {
    assert.deepEqual(parseWithSpec('environment:vars={"A":"1","B":"2"}'), {
      name: 'environment',
      options: { vars: { A: '1', B: '2' } },
    });
    assert.deepEqual(parseWithSpec('x:list=[1,2,3],s="a,b=c",n=1'), {
      name: 'x',
      options: { list: [1, 2, 3], s: 'a,b=c', n: 1 },
    });
    assert.deepEqual(parseWithSpec('x:nested={"a":[1,{"b":","}]},m=2').options, {
      nested: { a: [1, { b: ',' }] },
      m: 2,
    });
  });

  it('parseWithSpec: a snake_case name is camelCased only when that names a known decorator', () => {
    assert.equal(parseWithSpec('catch_error:var=e').name, 'catchError');
    assert.equal(parseWithSpec('catchError').name, 'catchError');
    assert.equal(parseWithSpec('no_such_thing').name, 'no_such_thing');
  });

  it('parseWithSpec: bad specs', () => {
    for (const bad of ['', ':times=2', '1retry', 're-try', 'retry times']) {
      assert.throws(() => parseWithSpec(bad), DecoratorError, bad);
    }
    for (const bad of ['retry:times', 'retry:=2', 'retry:times=2,', 'retry:times=2,,x=1']) {
      assert.throws(
        () => parseWithSpec(bad),
        (err: unknown) =>
          err instanceof DecoratorOptionError &&
          err.decorator === 'retry' &&
          /is not option=value/.test(err.message),
        bad,
      );
    }
  });

  it('parseOptionValue and camelCase', () => {
    assert.equal(parseOptionValue(' 42 '), 42);
    assert.equal(parseOptionValue('1e3'), 1000);
    assert.equal(parseOptionValue('0x10'), 16);
    assert.equal(parseOptionValue('false'), false);
    assert.equal(parseOptionValue('null'), null);
    assert.equal(parseOptionValue('hello world'), 'hello world');
    assert.equal(parseOptionValue(''), '');
    assert.equal(parseOptionValue('"quoted"'), 'quoted');
    assert.equal(camelCase('shared_memory'), 'sharedMemory');
    assert.equal(camelCase('max-swap'), 'maxSwap');
    assert.equal(camelCase('tmpfs_size_2'), 'tmpfsSize2');
    assert.equal(camelCase('useTmpfs'), 'useTmpfs');
  });

  it('resolveDecorators: static uses and --with specs, options normalized and parsed, stepInit called', () => {
    inits.length = 0;
    const staticUses = new Map([
      ['train', [use('fakeRetry', { times: 1 }), use('fakeBatch', { shared_memory: 64 })]],
    ]);
    const result = resolveDecorators(graph, staticUses, [
      parseWithSpec('fakeRetry:minutes_between_retries=0'),
    ]);
    assert.deepEqual([...result.keys()], ['start', 'train', 'end']);
    assert.deepEqual(result.get('start'), [
      { name: 'fakeRetry', options: { times: 3, minutesBetweenRetries: 0 }, source: 'cli' },
    ]);
    // --with skips a step that already carries the decorator (the static one wins).
    assert.deepEqual(result.get('train'), [
      { name: 'fakeRetry', options: { times: 1, minutesBetweenRetries: 2 }, source: 'static' },
      { name: 'fakeBatch', options: { sharedMemory: 64 }, source: 'static' },
    ]);
    assert.deepEqual(
      inits.map((c) => [c.flowName, c.stepName, c.options.times, c.decorators.length]),
      [
        ['F', 'start', 3, 1],
        ['F', 'train', 1, 2],
        ['F', 'end', 3, 1],
      ],
    );
    assert.equal(inits[0].graph, graph);
  });

  it('resolveDecorators: an unknown decorator lists the known ones', () => {
    assert.throws(
      () => resolveDecorators(graph, new Map(), [{ name: 'retyr', options: {} }]),
      (err: unknown) => {
        assert.ok(err instanceof UnknownDecoratorError);
        assert.equal(err.decorator, 'retyr');
        assert.ok(err.known.includes('fakeRetry'));
        assert.match(
          err.message,
          /unknown decorator "retyr" in --with\. Known decorators: .*fakeBatch.*fakeRetry/,
        );
        return true;
      },
    );
    assert.throws(
      () => resolveDecorators(graph, new Map([['end', [use('nope')]]]), []),
      (err: unknown) =>
        err instanceof UnknownDecoratorError && err.step === 'end' && /on step F\.end/.test(err.message),
    );
  });

  it('resolveDecorators: an unknown option lists the valid ones; snake_case options are accepted', () => {
    assert.throws(
      () => resolveDecorators(graph, new Map([['train', [use('fakeBatch', { gpu_count: 1 })]]]), []),
      (err: unknown) => {
        assert.ok(err instanceof DecoratorOptionError);
        assert.equal(err.option, 'gpu_count');
        assert.equal(err.step, 'train');
        assert.match(
          err.message,
          /unknown option "gpu_count"\. Valid options: cpu, sharedMemory, useTmpfs\./,
        );
        return true;
      },
    );
    const ok = resolveDecorators(
      graph,
      new Map([['train', [use('fakeBatch', { use_tmpfs: true, cpu: 2 })]]]),
      [],
    );
    assert.deepEqual(ok.get('train')?.[0].options, { useTmpfs: true, cpu: 2 });
    // Errors from the plugin's own parseOptions come through.
    assert.throws(
      () => resolveDecorators(graph, new Map(), [parseWithSpec('fakeRetry:times=9')]),
      /bad times on start/,
    );
  });

  it('resolveDecorators: a duplicate decorator is refused unless the plugin allows several', () => {
    assert.throws(
      () => resolveDecorators(graph, new Map([['train', [use('fakeRetry'), use('fakeRetry')]]]), []),
      (err: unknown) =>
        err instanceof DecoratorError && /@fakeRetry appears twice on step F\.train/.test(err.message),
    );
    const ok = resolveDecorators(
      graph,
      new Map([['train', [use('fakeEnv', { vars: { A: '1' } }), use('fakeEnv', { vars: { B: '2' } })]]]),
      [],
    );
    assert.equal(ok.get('train')?.length, 2);
  });
});
