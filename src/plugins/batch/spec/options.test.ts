import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecoratorOptionError } from '../../../decorators/errors.js';
import { BATCH_OPTION_NAMES, parseBatchOptions } from './options.js';

const where = { flowName: 'MyFlow', stepName: 'train' };

describe('options', () => {
  it('parseBatchOptions: the seed defaults, sizes left unset for the @resources merge', () => {
    assert.deepEqual(parseBatchOptions({}, where), {
      useTmpfs: false,
      tmpfsTempdir: true,
      tmpfsPath: '/metaflow_temp',
      efa: 0,
      privileged: false,
      logOptions: {},
      hostVolumes: [],
      efsVolumes: [],
      awsBatchTags: {},
      imagePackages: [],
    });
  });

  it('parseBatchOptions: every option of the seed page and the later ones', () => {
    assert.deepEqual([...BATCH_OPTION_NAMES].sort(), [
      'awsBatchTags',
      'cpu',
      'efa',
      'efsVolumes',
      'ephemeralStorage',
      'executionRole',
      'gpu',
      'hostVolumes',
      'iamRole',
      'image',
      'imagePackages',
      'inferentia',
      'logDriver',
      'logOptions',
      'maxSwap',
      'memory',
      'privileged',
      'queue',
      'sharedMemory',
      'swappiness',
      'tmpfsPath',
      'tmpfsSize',
      'tmpfsTempdir',
      'trainium',
      'useTmpfs',
    ]);
    const parsed = parseBatchOptions(
      {
        cpu: 0.5,
        gpu: 1,
        memory: 1024,
        image: 'node:22',
        queue: 'q',
        sharedMemory: 64,
        maxSwap: 0,
        swappiness: 10,
        useTmpfs: true,
        tmpfsTempdir: false,
        tmpfsSize: 100,
        tmpfsPath: '/scratch',
        trainium: 2,
        efa: 1,
        ephemeralStorage: 30,
        logDriver: 'awslogs',
        logOptions: 'awslogs-group:/aws/batch/job',
        hostVolumes: '/data',
        efsVolumes: ['fs-1', 'fs-2:/b'],
        privileged: true,
        awsBatchTags: { team: 'ml' },
        imagePackages: 'sharp,@duckdb/node-api',
      },
      where,
    );
    assert.deepEqual(parsed.imagePackages, ['@duckdb/node-api', 'sharp']);
    assert.equal(parsed.cpu, 0.5);
    assert.equal(parsed.trainium, 2);
    assert.equal(parsed.inferentia, undefined);
    assert.deepEqual(parsed.logOptions, { 'awslogs-group': '/aws/batch/job' });
    assert.deepEqual(parsed.hostVolumes, ['/data']);
    assert.deepEqual(parsed.efsVolumes, ['fs-1', 'fs-2:/b']);
    assert.equal(parsed.tmpfsTempdir, false);
  });

  it('parseBatchOptions: logOptions as "key:value" list (split at the first colon) or as an object', () => {
    assert.deepEqual(parseBatchOptions({ logOptions: ['a:b:c', 'd:'] }, where).logOptions, {
      a: 'b:c',
      d: '',
    });
    assert.deepEqual(parseBatchOptions({ logOptions: { a: 'b' } }, where).logOptions, { a: 'b' });
  });

  it('parseBatchOptions: bad shapes are DecoratorOptionErrors naming option and value', () => {
    assert.throws(
      () => parseBatchOptions({ cpu: '4' }, where),
      (err: unknown) =>
        err instanceof DecoratorOptionError &&
        err.option === 'cpu' &&
        err.flow === 'MyFlow' &&
        err.step === 'train' &&
        /^@batch on step MyFlow\.train: option "cpu" must be a number of vCPUs greater than 0 \(got "4"\)\.$/.test(
          err.message,
        ),
    );
    assert.throws(
      () => parseBatchOptions({ disk: 10 }, where),
      /unknown option "disk"\. Valid options: cpu, gpu/,
    );
  });
});
