import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FLOWS, runCli, stepsOf, type Workspace, workspace } from './helpers.js';

let ws: Workspace;
let home: string;
before(async () => {
  ws = await workspace();
  home = join(ws.dir, 'mfhome');
  await mkdir(home);
  await writeFile(
    join(home, 'config.json'),
    JSON.stringify({
      METAFLOW_BATCH_JOB_QUEUE: 'team-queue',
      METAFLOW_DATASTORE_SYSROOT_S3: 's3://team-bucket/metaflow',
      METAFLOW_SERVICE_AUTH_KEY: 'sk-live-0123456789abcd',
    }),
  );
  await writeFile(join(home, 'config_dev.json'), JSON.stringify({ BATCH_JOB_QUEUE: 'dev-queue' }));
});
after(async () => {
  await ws.cleanup();
});

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(args, { cwd: ws.dir, env: { METAFLOW_HOME: home, ...env } });

describe('stepflow configure show', () => {
  it('prints every setting with its value and source, secrets masked', async () => {
    const r = await cli(['configure', 'show'], { METAFLOW_DEFAULT_DATASTORE: 's3' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Profile file: ${join(home, 'config.json')}`));
    assert.match(r.stdout, /^METAFLOW_DEFAULT_DATASTORE +s3 +env$/m);
    assert.match(r.stdout, /^METAFLOW_BATCH_JOB_QUEUE +team-queue +profile$/m);
    assert.match(r.stdout, /^METAFLOW_DATATOOLS_S3ROOT +s3:\/\/team-bucket\/metaflow\/data +default/m);
    assert.match(r.stdout, /^METAFLOW_SERVICE_AUTH_KEY +\*\*\*\*abcd +profile$/m);
    assert.match(r.stdout, /^METAFLOW_DEFAULT_RUNTIME_LIMIT +432000 +default$/m);
    assert.match(r.stdout, /^STEPFLOW_SPOT_RETRIES +3 +default$/m);
    assert.doesNotMatch(r.stdout, /sk-live/);
  });

  it('--json, with METAFLOW_PROFILE selecting config_<p>.json', async () => {
    const r = await cli(['configure', 'show', '--json'], { METAFLOW_PROFILE: 'dev' });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      profile: { path: string; profile: string; found: boolean };
      settings: { name: string; value: unknown; source: string }[];
    };
    assert.deepEqual(doc.profile, { path: join(home, 'config_dev.json'), profile: 'dev', found: true });
    const queue = doc.settings.find((s) => s.name === 'METAFLOW_BATCH_JOB_QUEUE');
    assert.deepEqual([queue?.value, queue?.source], ['dev-queue', 'profile']);
  });

  it('a missing profile file is a clear error (no stack trace)', async () => {
    const r = await cli(['configure', 'show'], { METAFLOW_PROFILE: 'prod' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^stepflow: error: Metaflow profile "prod" not found: .*config_prod\.json/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

describe('stepflow run reads its datastore settings', () => {
  it('stores the run under METAFLOW_DATASTORE_SYSROOT_LOCAL', async () => {
    const root = join(ws.dir, 'shared-root');
    const r = await cli(['run', join(FLOWS, 'linear-flow.ts')], {
      METAFLOW_DATASTORE_SYSROOT_LOCAL: root,
      STEPFLOW_MAX_WORKERS: '2',
    });
    assert.equal(r.code, 0, r.stderr);
    const [flow, runId] = (r.stdout.split('\n')[0] ?? '').split('/');
    assert.deepEqual(await stepsOf(root, flow, runId), ['end', 'middle', 'start']);
    assert.ok(!existsSync(join(ws.dir, '.stepflow')), 'nothing under the default root');
  });

  it('METAFLOW_DEFAULT_DATASTORE=s3 without a root, or a bad STEPFLOW_MAX_WORKERS, stops before running', async () => {
    const s3 = await cli(['run', join(FLOWS, 'linear-flow.ts')], {
      METAFLOW_HOME: join(ws.dir, 'no-home'),
      METAFLOW_DEFAULT_DATASTORE: 's3',
    });
    assert.equal(s3.code, 1);
    assert.match(s3.stderr, /--datastore s3 needs METAFLOW_DATASTORE_SYSROOT_S3 \(s3:\/\/bucket\/prefix\)/);
    const workers = await cli(['run', join(FLOWS, 'linear-flow.ts')], { STEPFLOW_MAX_WORKERS: 'many' });
    assert.equal(workers.code, 1);
    assert.match(workers.stderr, /STEPFLOW_MAX_WORKERS="many" \(in the environment\) is not a whole number/);
  });
});
