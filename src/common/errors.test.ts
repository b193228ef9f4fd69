import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { importSecondCopy } from '../../test/support/second-copy.js';
import * as aws from '../aws/errors.js';
import * as client from '../client/errors.js';
import * as config from '../config/errors.js';
import * as datastore from '../datastore/errors.js';
import * as s3Storage from '../datastore/s3/errors.js';
import * as datatools from '../datatools/s3/errors.js';
import * as decorators from '../decorators/errors.js';
import * as flow from '../flow/errors.js';
import * as graph from '../graph/errors.js';
import * as packageErrors from '../package/errors.js';
import * as layer from '../package/layer/errors.js';
import * as batch from '../plugins/batch/errors.js';
import * as runtime from '../runtime/errors.js';
import * as task from '../task/errors.js';
import { brandErrorClass, errorBrand, errorMessage, StepflowError } from './errors.js';

const LAYERS = {
  aws,
  client,
  config,
  datastore,
  s3Storage,
  datatools,
  decorators,
  flow,
  graph,
  layer,
  packageErrors,
  batch,
  runtime,
  task,
};

type ErrorClass = abstract new (...args: never[]) => Error;

function errorClasses(): [string, ErrorClass][] {
  const out: [string, ErrorClass][] = [];
  for (const [layerName, exports] of Object.entries(LAYERS)) {
    for (const [name, value] of Object.entries(exports)) {
      if (typeof value === 'function' && value.prototype instanceof Error) {
        out.push([`${layerName}.${name}`, value as ErrorClass]);
      }
    }
  }
  return out;
}

interface Copy {
  readonly common: typeof import('./errors.js');
  readonly datastore: typeof import('../datastore/errors.js');
  readonly runtime: typeof import('../runtime/errors.js');
}

const MODULES = { common: 'common/errors', datastore: 'datastore/errors', runtime: 'runtime/errors' };

describe('errors', () => {
  it('instanceof holds across two copies of stepflow (two separate esbuild bundles)', async () => {
    const a = await importSecondCopy<Copy>(MODULES);
    const b = await importSecondCopy<Copy>(MODULES);
    assert.notEqual(a.common.StepflowError, b.common.StepflowError, 'two copies, two classes');
    assert.notEqual(a.common.StepflowError, StepflowError);

    const fromA = new a.datastore.StorageError('write', 'F/1/_meta/run.json', '/tmp/ds', { cause: 'EIO' });
    assert.ok(fromA instanceof b.datastore.StorageError);
    assert.ok(fromA instanceof b.datastore.DatastoreError, 'a subclass is an instance of the parent');
    assert.ok(fromA instanceof b.common.StepflowError);
    assert.ok(fromA instanceof datastore.StorageError, 'and of the copy this process loaded');
    assert.ok(fromA instanceof StepflowError);
    assert.ok(!(fromA instanceof datastore.ArtifactNotFoundError), 'a sibling class is not');
    assert.ok(!(fromA instanceof runtime.RuntimeError), 'another layer is not');

    const usage = new runtime.UsageError('--max-workers needs a value.', { option: 'max-workers' });
    assert.ok(usage instanceof a.runtime.UsageError);
    assert.ok(usage instanceof a.runtime.RuntimeError);
    assert.ok(usage instanceof b.common.StepflowError);
    assert.ok(!(usage instanceof a.datastore.DatastoreError));
    assert.ok(!(new a.runtime.RuntimeError('x') instanceof runtime.UsageError), 'a parent is not a child');
  });

  it('instanceof refuses what is not a stepflow error', () => {
    assert.ok(!(new Error('x') instanceof StepflowError));
    const named = new Error('x');
    named.name = 'StorageError';
    assert.ok(!(named instanceof datastore.StorageError), 'a name alone does not make one');
    assert.ok(!({ message: 'x', name: 'StepflowError' } instanceof StepflowError));
    for (const value of [undefined, null, 'StepflowError', 3] as unknown[])
      assert.ok(!(value instanceof StepflowError));
  });

  it('a subclass that is not branded still works with instanceof in its own copy', () => {
    class Plain extends StepflowError {}
    class Branded extends StepflowError {
      static {
        brandErrorClass(Branded, 'TestBrandedError');
      }
    }
    assert.ok(new Plain('x') instanceof Plain);
    assert.ok(new Plain('x') instanceof StepflowError);
    assert.ok(!(new StepflowError('x') instanceof Plain));
    assert.ok(!(new Plain('x') instanceof Branded));
    const stranger = Object.create(Error.prototype, { [errorBrand('TestBrandedError')]: { value: true } });
    assert.ok(stranger instanceof Branded, 'the brand is what counts across copies');
  });

  it("every layer's error classes derive from StepflowError, branded with their own name", () => {
    const classes = errorClasses();
    assert.ok(classes.length >= 50, `found ${classes.length} error classes`);
    for (const [where, errorClass] of classes) {
      assert.ok(errorClass.prototype instanceof StepflowError, `${where} derives from StepflowError`);
      const brand = errorBrand(errorClass.name);
      assert.ok(Object.hasOwn(errorClass.prototype, brand), `${where} is branded as ${errorClass.name}`);
    }
  });

  it('name, hint, cause and where are fields; the brand and the getters do not show in inspect()', () => {
    const cause = new Error('EACCES');
    const err = new StepflowError('the queue is missing', { hint: 'Set METAFLOW_BATCH_JOB_QUEUE.', cause });
    assert.equal(err.name, 'StepflowError');
    assert.equal(err.message, 'the queue is missing');
    assert.equal(err.hint, 'Set METAFLOW_BATCH_JOB_QUEUE.');
    assert.equal(err.cause, cause);
    assert.deepEqual(err.where, {});
    assert.equal(err.display, 'message');
    assert.ok(!('cause' in new StepflowError('x')), 'no cause unless one is given');
    assert.ok(!Object.hasOwn(new StepflowError('x'), 'hint'), 'no hint field unless one is given');

    const option = new decorators.DecoratorOptionError('bad', {
      decorator: 'batch',
      option: 'memory',
      flow: 'F',
      step: 'train',
    });
    assert.deepEqual(option.where, { flow: 'F', step: 'train', option: 'memory' });
    assert.deepEqual(new runtime.RuntimeError('x', { flow: 'F', runId: '17' }).where, {
      flow: 'F',
      runId: '17',
    });

    const shown = inspect(new flow.FlowError('oops', { flow: 'F' }));
    assert.ok(!/display|where|hint|stepflow\.error/.test(shown), shown);
  });

  it('errorMessage is exported beside the base', () => {
    assert.equal(errorMessage(new StepflowError('x')), 'x');
  });

  it('errors whose message ends with what to do carry it as their hint too (the message is unchanged)', () => {
    const errors: StepflowError[] = [
      new datastore.StorageError('write', 'F/1/_meta/run.json', '/tmp/ds', { cause: new Error('EIO') }),
      new datastore.CorruptBlobError('F/data/ab/ab12', 'unknown header byte 0x07'),
      new datastore.UnknownEncodingError('msgpack', ['v8']),
      new packageErrors.PackageBuildError('/p/flow.ts', [{ text: 'Could not resolve "x"' }]),
      new packageErrors.PackageFormatError('not a gzip stream', { sha: 'ab12' }),
      new packageErrors.PackageNotFoundError('F/code/ab12', { sha: 'ab12', storageRoot: '/tmp/ds' }),
      new packageErrors.UnsafeCacheDirError('/tmp/c', 'owner', 'it belongs to uid 0'),
      new aws.AwsSdkMissingError('@aws-sdk/client-batch', ['from /app: Cannot find module']),
      new client.NotFoundError({ kind: 'run', pathspec: 'F/17', nearby: [], root: '/tmp/ds' }),
      new client.NamespaceMismatchError({ pathspec: 'F/17', namespace: 'user:bob', tags: ['user:alice'] }),
      new datatools.S3NotFoundError('s3://b/k'),
      new datatools.S3AccessDeniedError('s3://b/k'),
      new datatools.S3InvalidRangeError('s3://b/k', 'bytes=10-19'),
      new datatools.S3NoSuchBucketError('s3://b/k', 'b'),
      new datatools.S3InsufficientDiskSpaceError('s3://b/k', '/tmp'),
    ];
    for (const err of errors) {
      assert.ok(err.hint, `${err.name} has a hint`);
      assert.ok(err.message.endsWith(err.hint), `${err.name}: the message ends with the hint`);
    }
    assert.equal(
      new datastore.CorruptBlobError('k', 'bad').message,
      'Stored object "k" is corrupt: bad. Delete it and re-run the step that wrote it.',
    );
    assert.equal(
      new client.NotFoundError({ kind: 'step', pathspec: 'F/17/x', nearby: ['start'], root: '/d' }).hint,
      undefined,
      'only flows and runs get the "check the name" hint',
    );
  });
});
