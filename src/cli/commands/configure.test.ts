import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configureShowCommand } from './configure.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'stepflow-configure-'));
  await writeFile(
    path.join(dir, 'config.json'),
    JSON.stringify({
      METAFLOW_BATCH_JOB_QUEUE: 'gpu-queue',
      METAFLOW_SERVICE_AUTH_KEY: 'key-0123456789-WXYZ',
    }),
  );
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function show(env: NodeJS.ProcessEnv, json = false) {
  let stdout = '';
  let stderr = '';
  const code = configureShowCommand(
    { json },
    {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { METAFLOW_HOME: dir, ...env },
    },
  );
  return { code, stdout, stderr };
}

describe('configure show', () => {
  it('prints NAME VALUE SOURCE rows, the profile file, and masks secrets', () => {
    const r = show({ METAFLOW_DEFAULT_DATASTORE: 's3' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Profile file: ${path.join(dir, 'config.json')}\n`));
    assert.match(r.stdout, /^NAME +VALUE +SOURCE$/m);
    assert.match(r.stdout, /^METAFLOW_DEFAULT_DATASTORE +s3 +env$/m);
    assert.match(r.stdout, /^METAFLOW_BATCH_JOB_QUEUE +gpu-queue +profile$/m);
    assert.match(r.stdout, /^METAFLOW_SERVICE_AUTH_KEY +\*\*\*\*WXYZ +profile$/m);
    assert.match(r.stdout, /^METAFLOW_S3_RETRY_COUNT +7 +default$/m);
    assert.match(
      r.stdout,
      /^METAFLOW_DATATOOLS_S3ROOT +- +default \(<DATASTORE_SYSROOT_S3>\/<DATATOOLS_SUFFIX>\)$/m,
    );
    assert.match(r.stdout, /^STEPFLOW_MAX_WORKERS +16 +default$/m);
    assert.doesNotMatch(r.stdout, /key-0123456789/);
  });

  it('--json gives values, sources and the profile file', () => {
    const r = show({ STEPFLOW_MAX_WORKERS: '4' }, true);
    assert.equal(r.code, 0);
    const doc = JSON.parse(r.stdout) as {
      profile: { path: string; found: boolean };
      settings: { name: string; value: unknown; source: string; detail: string; secret: boolean }[];
    };
    assert.deepEqual(doc.profile, { path: path.join(dir, 'config.json'), profile: null, found: true });
    const by = new Map(doc.settings.map((s) => [s.name, s]));
    assert.deepEqual(by.get('STEPFLOW_MAX_WORKERS'), {
      name: 'STEPFLOW_MAX_WORKERS',
      value: 4,
      source: 'env',
      detail: 'STEPFLOW_MAX_WORKERS',
      secret: false,
    });
    assert.equal(by.get('METAFLOW_SERVICE_AUTH_KEY')?.value, '****WXYZ');
    assert.equal(by.get('METAFLOW_BATCH_JOB_QUEUE')?.detail, path.join(dir, 'config.json'));
    assert.equal(by.get('METAFLOW_ECS_S3_ACCESS_IAM_ROLE')?.value, null);
  });

  it('says when no profile file exists, and reports bad values with exit code 1', () => {
    const r = show({ METAFLOW_HOME: path.join(dir, 'missing'), METAFLOW_S3_RETRY_COUNT: 'abc' });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /missing\/config\.json does not exist/);
    assert.match(r.stdout, /^METAFLOW_S3_RETRY_COUNT +<invalid> +env$/m);
    assert.match(r.stderr, /METAFLOW_S3_RETRY_COUNT="abc" \(in the environment\) is not a whole number/);
  });
});
