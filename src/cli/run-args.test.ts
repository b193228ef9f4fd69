import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../runtime/errors.js';
import type { ParameterDef } from '../runtime/parameters.js';
import { parseParameterArgs, RUN_OPTIONS, splitRunArgs } from './run-args.js';

describe('run-args', () => {
  it('splitRunArgs: defaults', () => {
    assert.deepEqual(splitRunArgs(['flow.ts']), {
      flowFile: 'flow.ts',
      maxWorkers: 16,
      maxWorkersGiven: false,
      maxNumSplits: 100,
      datastore: 'local',
      tags: [],
      with: [],
      help: false,
      positionals: [],
      rest: [],
    });
    assert.equal(splitRunArgs([]).flowFile, undefined);
  });

  it('splitRunArgs: options in any order, --x=y, repeatable --tag and --with', () => {
    const a = splitRunArgs([
      'flow.ts',
      '--max-workers',
      '8',
      '--alpha',
      '0.2',
      '--tag',
      'a',
      '--with=retry',
      '--tag=b',
    ]);
    const b = splitRunArgs([
      'flow.ts',
      '--tag=a',
      '--alpha',
      '0.2',
      '--with',
      'retry',
      '--tag',
      'b',
      '--max-workers=8',
    ]);
    for (const out of [a, b]) {
      assert.equal(out.flowFile, 'flow.ts');
      assert.equal(out.maxWorkers, 8);
      assert.equal(out.maxWorkersGiven, true, 'an explicit --max-workers caps remote attempts too');
      assert.deepEqual(out.tags, ['a', 'b']);
      assert.deepEqual(out.with, ['retry']);
      assert.deepEqual(out.rest, ['--alpha', '0.2']);
    }
    const c = splitRunArgs([
      'flow.ts',
      'train',
      '--datastore-root',
      '/tmp/ds',
      '--run-id-file=id.txt',
      '--flow',
      'Other',
      '--max-num-splits',
      '5',
      '--with',
      'batch:cpu=4,memory=100',
      '--datastore',
      'local',
      '--origin-run-id',
      '17',
      '-h',
    ]);
    assert.deepEqual(c.positionals, ['train']);
    assert.deepEqual(
      [c.datastoreRoot, c.runIdFile, c.flowName, c.maxNumSplits, c.datastore, c.originRunId, c.help],
      ['/tmp/ds', 'id.txt', 'Other', 5, 'local', '17', true],
    );
    assert.deepEqual(c.with, ['batch:cpu=4,memory=100']);
    assert.equal(splitRunArgs(['--help']).help, true);
  });

  it('splitRunArgs: parameter options keep their values, negative numbers included', () => {
    const out = splitRunArgs(['flow.ts', '--flag', '--alpha', '-1', '--no-x', '--name=a=b', '--beta', 'x']);
    assert.deepEqual(out.rest, ['--flag', '--alpha', '-1', '--no-x', '--name=a=b', '--beta', 'x']);
    assert.deepEqual(out.positionals, []);
  });

  it('splitRunArgs: bad integers and missing values are UsageErrors naming the option', () => {
    const cases: Array<[string[], string, RegExp]> = [
      [
        ['flow.ts', '--max-workers', '0'],
        '--max-workers',
        /--max-workers needs a positive whole number \(got "0"\)/,
      ],
      [['flow.ts', '--max-workers', '1.5'], '--max-workers', /got "1\.5"/],
      [['flow.ts', '--max-workers=abc'], '--max-workers', /got "abc"/],
      [
        ['flow.ts', '--max-num-splits', '-3'],
        '--max-num-splits',
        /--max-num-splits needs a positive whole number/,
      ],
      [['flow.ts', '--max-workers='], '--max-workers', /got ""/],
      [['flow.ts', '--max-workers'], '--max-workers', /--max-workers needs a value/],
      [['flow.ts', '--tag'], '--tag', /--tag needs a value/],
    ];
    for (const [argv, option, message] of cases) {
      assert.throws(
        () => splitRunArgs(argv),
        (err: unknown) => err instanceof UsageError && err.option === option && message.test(err.message),
        argv.join(' '),
      );
    }
  });

  const defs: ParameterDef[] = [
    { name: 'alpha', type: 'number', default: 0.1, required: false },
    { name: 'maxDepth', type: 'number', default: 3, required: false },
    { name: 'flag', type: 'boolean', default: false, required: false },
    { name: 'name', type: 'string', default: 'x', required: false },
    { name: 'config', type: 'json', default: {}, required: false },
  ];
  const parse = (...rest: string[]) => parseParameterArgs(rest, defs, 'TrainFlow');

  it('parseParameterArgs: kebab and camel names, --x=1, negative numbers, JSON', () => {
    assert.deepEqual(parse('--max-depth', '5'), { maxDepth: 5 });
    assert.deepEqual(parse('--maxDepth=6'), { maxDepth: 6 });
    assert.deepEqual(parse('--alpha', '-1'), { alpha: -1 });
    assert.deepEqual(parse('--alpha=-0.5', '--name', 'hello world'), { alpha: -0.5, name: 'hello world' });
    assert.deepEqual(parse('--name=a=b'), { name: 'a=b' });
    assert.deepEqual(parse('--config', '{"k":[1,2]}'), { config: { k: [1, 2] } });
    assert.deepEqual(parse('--alpha', '1', '--alpha', '2'), { alpha: 2 });
    assert.deepEqual(parse(), {});
  });

  it('parseParameterArgs: booleans: --flag, --flag false, --flag=true, --no-flag', () => {
    assert.deepEqual(parse('--flag'), { flag: true });
    assert.deepEqual(parse('--flag', 'false'), { flag: false });
    assert.deepEqual(parse('--flag', 'TRUE'), { flag: true });
    assert.deepEqual(parse('--flag', '0', '--alpha', '2'), { flag: false, alpha: 2 });
    assert.deepEqual(parse('--flag=no'), { flag: false });
    assert.deepEqual(parse('--no-flag'), { flag: false });
    assert.deepEqual(parse('--flag', '--alpha', '2'), { flag: true, alpha: 2 });
    assert.throws(() => parse('--flag=maybe'), /--flag of TrainFlow must be true or false, got "maybe"/);
  });

  it('parseParameterArgs: an unknown option lists the valid ones', () => {
    assert.throws(
      () => parse('--alpah', '1'),
      (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.equal(err.option, '--alpah');
        assert.equal(err.flow, 'TrainFlow');
        assert.match(
          err.message,
          /^Unknown option --alpah for TrainFlow\. Did you mean --alpha\? Valid options: /,
        );
        for (const flag of [
          ...Object.keys(RUN_OPTIONS),
          '--alpha',
          '--max-depth',
          '--flag',
          '--name',
          '--config',
        ]) {
          assert.ok(err.message.includes(flag), flag);
        }
        assert.doesNotMatch(err.message, /Options start with --/);
        return true;
      },
    );
    // --no- only negates booleans.
    assert.throws(() => parse('--no-alpha'), /Unknown option --no-alpha/);
    assert.throws(() => parse('-a', '1'), /Unknown option -a for TrainFlow\..*Options start with --\./);
  });

  it('parseParameterArgs: a missing value or a value of the wrong type', () => {
    assert.throws(
      () => parse('--alpha'),
      (err: unknown) =>
        err instanceof UsageError &&
        /Parameter --alpha of TrainFlow needs a value: --alpha VALUE\./.test(err.message),
    );
    assert.throws(
      () => parse('--max-depth', 'deep'),
      /Parameter --max-depth of TrainFlow must be a number, got "deep"/,
    );
    assert.throws(() => parse('--config', '{'), /must be valid JSON/);
  });
});
