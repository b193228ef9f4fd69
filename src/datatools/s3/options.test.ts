import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setCurrent } from '../../flow/current.js';
import { FlowSpec } from '../../flow/flow-spec.js';
import { S3ConfigError, S3UrlError } from './errors.js';
import { resolveRoot } from './options.js';
import type { S3Settings } from './settings.js';

class DataFlow extends FlowSpec {}

const settings: S3Settings = {
  datatoolsRoot: 's3://bucket/data',
  tempdir: '.',
  endpoint: undefined,
  serverSideEncryption: undefined,
  retryCount: 7,
  workerCount: 64,
  logRetries: false,
};
const running = { running: true, flowName: 'DataFlow', runId: '42' };
const idle = { running: false };

afterEach(() => setCurrent(undefined));

describe('options', () => {
  it('run: this inside a step → <METAFLOW_DATATOOLS_S3ROOT>/<flow>/<run id>', () => {
    assert.equal(resolveRoot({ run: new DataFlow() }, settings, running), 's3://bucket/data/DataFlow/42');
  });

  it('run: this outside a running step is an error with a hint', () => {
    assert.throws(
      () => resolveRoot({ run: new DataFlow() }, settings, idle),
      (err: unknown) =>
        err instanceof S3ConfigError &&
        /inside a running step/.test(err.message) &&
        /s3root/.test(err.message),
    );
  });

  it('run: a client Run ({ flowName, id }) works anywhere', () => {
    assert.equal(resolveRoot({ run: { flowName: 'F', id: '7' } }, settings, idle), 's3://bucket/data/F/7');
  });

  it('run needs METAFLOW_DATATOOLS_S3ROOT (or the S3 sysroot)', () => {
    assert.throws(
      () => resolveRoot({ run: new DataFlow() }, { ...settings, datatoolsRoot: undefined }, running),
      /METAFLOW_DATATOOLS_S3ROOT/,
    );
    assert.throws(
      () => resolveRoot({ run: new DataFlow() }, { ...settings, datatoolsRoot: '/local/path' }, running),
      S3UrlError,
    );
  });

  it('s3root, bucket + prefix, or nothing', () => {
    assert.equal(resolveRoot({ s3root: 's3://b/x/' }, settings, idle), 's3://b/x');
    assert.equal(resolveRoot({ bucket: 'b', prefix: 'p/q' }, settings, idle), 's3://b/p/q');
    assert.equal(resolveRoot({ bucket: 'b' }, settings, idle), 's3://b');
    assert.equal(resolveRoot({}, settings, idle), undefined);
    assert.throws(() => resolveRoot({ s3root: 'bucket/x' }, settings, idle), S3UrlError);
    assert.throws(() => resolveRoot({ prefix: 'p' }, settings, idle), S3ConfigError);
    assert.throws(() => resolveRoot({ s3root: 's3://b/x', bucket: 'b' }, settings, idle), /at most one/);
  });
});
