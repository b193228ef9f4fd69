import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from './errors.js';
import { loadConfig } from './resolve.js';
import { SETTINGS, type SettingValue } from './settings.js';
import { currentUser } from './user.js';

let home: string;
before(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'stepflow-config-'));
});
after(async () => {
  await rm(home, { recursive: true, force: true });
});

async function profile(name: string, values: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(home, 'mf-'));
  const file = path.join(dir, name);
  await writeFile(file, typeof values === 'string' ? values : JSON.stringify(values));
  return dir;
}

describe('loadConfig: precedence', () => {
  it('environment > profile file > default', async () => {
    const dir = await profile('config.json', {
      METAFLOW_BATCH_JOB_QUEUE: 'from-profile',
      METAFLOW_DEFAULT_DATASTORE: 's3',
    });
    const config = loadConfig({ METAFLOW_HOME: dir, METAFLOW_BATCH_JOB_QUEUE: 'from-env' });
    assert.equal(config.get('BATCH_JOB_QUEUE'), 'from-env');
    assert.deepEqual(config.source('BATCH_JOB_QUEUE'), { kind: 'env', detail: 'METAFLOW_BATCH_JOB_QUEUE' });
    assert.equal(config.get('DEFAULT_DATASTORE'), 's3');
    assert.deepEqual(config.source('DEFAULT_DATASTORE'), {
      kind: 'profile',
      detail: path.join(dir, 'config.json'),
    });
    assert.equal(config.get('S3_RETRY_COUNT'), 7);
    assert.deepEqual(config.source('S3_RETRY_COUNT'), { kind: 'default', detail: '7' });
    assert.equal(config.profile.found, true);
  });

  it('an empty environment variable counts as unset', async () => {
    const dir = await profile('config.json', { METAFLOW_BATCH_JOB_QUEUE: 'q' });
    assert.equal(
      loadConfig({ METAFLOW_HOME: dir, METAFLOW_BATCH_JOB_QUEUE: '' }).get('BATCH_JOB_QUEUE'),
      'q',
    );
  });

  it('accepts profile keys with and without the METAFLOW_ prefix (prefixed wins); null means unset', async () => {
    const dir = await profile('config.json', {
      METAFLOW_DATASTORE_SYSROOT_S3: 's3://b/prefixed',
      DATASTORE_SYSROOT_S3: 's3://b/bare',
      BATCH_JOB_QUEUE: 'bare-queue',
      STEPFLOW_MAX_WORKERS: 4,
      METAFLOW_TEMPDIR: null,
    });
    const config = loadConfig({ METAFLOW_HOME: dir });
    assert.equal(config.get('DATASTORE_SYSROOT_S3'), 's3://b/prefixed');
    assert.equal(config.get('BATCH_JOB_QUEUE'), 'bare-queue');
    assert.equal(config.get('MAX_WORKERS'), 4);
    assert.equal(config.get('TEMPDIR'), '.');
  });

  it('parses native JSON values of the profile file', async () => {
    const dir = await profile('config.json', {
      METAFLOW_BATCH_EMIT_TAGS: true,
      METAFLOW_BATCH_DEFAULT_TAGS: { team: 'ml' },
      METAFLOW_S3_RETRY_COUNT: 3,
    });
    const config = loadConfig({ METAFLOW_HOME: dir });
    assert.equal(config.get('BATCH_EMIT_TAGS'), true);
    assert.deepEqual(config.get('BATCH_DEFAULT_TAGS'), { team: 'ml' });
    assert.equal(config.get('S3_RETRY_COUNT'), 3);
    assert.ok(Object.isFrozen(config.get('BATCH_DEFAULT_TAGS')));
  });
});

describe('loadConfig: profile selection', () => {
  it('a missing default config.json means all defaults', () => {
    const config = loadConfig({ METAFLOW_HOME: path.join(home, 'nothing-here') });
    assert.equal(config.profile.found, false);
    assert.equal(config.profile.path, path.join(home, 'nothing-here', 'config.json'));
    assert.equal(config.get('DEFAULT_DATASTORE'), 'local');
  });

  it('defaults METAFLOW_HOME to ~/.metaflowconfig and expands ~', () => {
    const fake = path.join(home, 'fake-home');
    assert.equal(
      loadConfig({}, { homeDir: fake }).profile.path,
      path.join(fake, '.metaflowconfig', 'config.json'),
    );
    assert.equal(
      loadConfig({ METAFLOW_HOME: '~/mf' }, { homeDir: fake }).profile.path,
      path.join(fake, 'mf', 'config.json'),
    );
  });

  it('METAFLOW_PROFILE=p reads config_p.json', async () => {
    const dir = await profile('config_dev.json', { METAFLOW_BATCH_JOB_QUEUE: 'dev-queue' });
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ METAFLOW_BATCH_JOB_QUEUE: 'main' }));
    const config = loadConfig({ METAFLOW_HOME: dir, METAFLOW_PROFILE: 'dev' });
    assert.equal(config.get('BATCH_JOB_QUEUE'), 'dev-queue');
    assert.deepEqual(config.profile, {
      path: path.join(dir, 'config_dev.json'),
      profile: 'dev',
      found: true,
    });
  });

  it('a missing profile file is a ConfigError naming the path and the fix', () => {
    const dir = path.join(home, 'empty');
    assert.throws(
      () => loadConfig({ METAFLOW_HOME: dir, METAFLOW_PROFILE: 'prod' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.name, 'ConfigError');
        assert.equal(err.setting, 'METAFLOW_PROFILE');
        assert.equal(err.source, path.join(dir, 'config_prod.json'));
        assert.match(err.message, /profile "prod" not found/);
        assert.match(err.message, /config_prod\.json/);
        assert.match(err.message, /unset METAFLOW_PROFILE/);
        return true;
      },
    );
  });

  it('invalid JSON, or JSON that is not an object, is a ConfigError with the path', async () => {
    const bad = await profile('config.json', '{"METAFLOW_USER": ');
    assert.throws(
      () => loadConfig({ METAFLOW_HOME: bad }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.source, path.join(bad, 'config.json'));
        assert.match(err.message, /is not valid JSON/);
        assert.ok(err.cause instanceof SyntaxError);
        return true;
      },
    );
    const list = await profile('config.json', '[1, 2]');
    assert.throws(() => loadConfig({ METAFLOW_HOME: list }), /must hold a JSON object/);
  });
});

describe('loadConfig: typed values', () => {
  it('parses numbers, booleans and JSON objects from text', () => {
    const config = loadConfig({
      METAFLOW_HOME: path.join(home, 'none'),
      METAFLOW_S3_RETRY_COUNT: ' 3 ',
      METAFLOW_BATCH_EMIT_TAGS: 'True',
      METAFLOW_S3_LOG_TRANSIENT_RETRIES: '0',
      METAFLOW_BATCH_DEFAULT_TAGS: '{"cost-center": "42"}',
      STEPFLOW_SPOT_RETRIES: '0',
    });
    const n: SettingValue<'S3_RETRY_COUNT'> = config.get('S3_RETRY_COUNT');
    assert.equal(n, 3);
    assert.equal(config.get('BATCH_EMIT_TAGS'), true);
    assert.equal(config.get('S3_LOG_TRANSIENT_RETRIES'), false);
    assert.deepEqual(config.get('BATCH_DEFAULT_TAGS'), { 'cost-center': '42' });
    assert.equal(config.get('SPOT_RETRIES'), 0);
  });

  it('a bad value throws when read, naming the variable, the value and the expected type', () => {
    const config = loadConfig({
      METAFLOW_HOME: path.join(home, 'none'),
      METAFLOW_S3_RETRY_COUNT: 'abc',
      METAFLOW_BATCH_EMIT_TAGS: 'maybe',
      METAFLOW_BATCH_DEFAULT_TAGS: '["a"]',
      STEPFLOW_MAX_WORKERS: '0',
      METAFLOW_SERVICE_HEADERS: 'token=abc',
    });
    assert.equal(config.get('DEFAULT_DATASTORE'), 'local', 'other settings still work');
    const cases: [() => unknown, RegExp][] = [
      [
        () => config.get('S3_RETRY_COUNT'),
        /^METAFLOW_S3_RETRY_COUNT="abc" \(in the environment\) is not a whole number >= 0/,
      ],
      [() => config.get('BATCH_EMIT_TAGS'), /METAFLOW_BATCH_EMIT_TAGS="maybe" .* is not true or false/],
      [
        () => config.get('BATCH_DEFAULT_TAGS'),
        /METAFLOW_BATCH_DEFAULT_TAGS="\[\\"a\\"\]" .* is not a JSON object/,
      ],
      [
        () => config.get('MAX_WORKERS'),
        /STEPFLOW_MAX_WORKERS="0" .* is not a whole number >= 1.*default \(16\)/,
      ],
      [() => config.get('SERVICE_HEADERS'), /METAFLOW_SERVICE_HEADERS=<hidden: secret>/],
    ];
    for (const [read, message] of cases) {
      assert.throws(read, (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, message);
        assert.equal(err.source, err.setting, 'an env value names its variable as the source');
        return true;
      });
    }
    assert.doesNotMatch(
      String(
        (() => {
          try {
            config.get('SERVICE_HEADERS');
          } catch (err) {
            return (err as Error).message;
          }
        })(),
      ),
      /token=abc/,
    );
  });

  it('a bad profile value names the profile file', async () => {
    const dir = await profile('config.json', { METAFLOW_S3_WORKER_COUNT: 'lots' });
    assert.throws(
      () => loadConfig({ METAFLOW_HOME: dir }).get('S3_WORKER_COUNT'),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.source, path.join(dir, 'config.json'));
        assert.match(err.message, /in the profile file .*config\.json\) is not a whole number >= 1/);
        return true;
      },
    );
  });

  it('all() reports bad values per setting instead of throwing', () => {
    const entries = loadConfig({
      METAFLOW_HOME: path.join(home, 'none'),
      METAFLOW_S3_RETRY_COUNT: 'x',
    }).all();
    assert.equal(entries.length, SETTINGS.length);
    const bad = entries.find((e) => e.name === 'S3_RETRY_COUNT');
    assert.ok(bad?.error instanceof ConfigError);
    assert.equal(bad?.value, undefined);
    assert.equal(entries.find((e) => e.name === 'TEMPDIR')?.value, '.');
  });

  it('rejects unknown setting names', () => {
    const config = loadConfig({ METAFLOW_HOME: path.join(home, 'none') });
    assert.throws(() => config.get('NOPE' as 'USER'), /Unknown setting "NOPE"/);
  });
});

describe('loadConfig: defaults', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({ METAFLOW_HOME: path.join(home, 'none') }, { cwd: '/home/me/project' });
    assert.equal(config.get('DEFAULT_DATASTORE'), 'local');
    assert.equal(config.get('DATASTORE_SYSROOT_LOCAL'), path.join('/home/me/project', '.stepflow'));
    assert.equal(config.get('DEFAULT_RUNTIME_LIMIT'), 432000);
    assert.equal(config.get('BATCH_EMIT_TAGS'), false);
    assert.deepEqual(config.get('BATCH_DEFAULT_TAGS'), {});
    assert.equal(config.get('BATCH_CONTAINER_IMAGE'), undefined);
    assert.equal(config.get('BATCH_JOB_QUEUE'), undefined);
    assert.equal(config.get('DATASTORE_SYSROOT_S3'), undefined);
    assert.equal(config.get('DATATOOLS_S3ROOT'), undefined);
    assert.equal(config.get('MAX_WORKERS'), 16);
    assert.equal(config.get('SPOT_RETRIES'), 3);
    assert.equal(config.get('ARTIFACT_LOCALROOT'), '/home/me/project');
    assert.deepEqual(config.get('S3_CLIENT_RETRY_CONFIG'), { max_attempts: 10, mode: 'adaptive' });
    assert.deepEqual(config.source('DATASTORE_SYSROOT_LOCAL'), {
      kind: 'default',
      detail: '<cwd>/.stepflow',
    });
    // Types: settings with a default are never undefined; the others may be.
    const root: string = config.get('DATASTORE_SYSROOT_LOCAL');
    const workers: number = config.get('MAX_WORKERS');
    const user: string = config.get('USER');
    // @ts-expect-error BATCH_JOB_QUEUE has no default
    const queue: string = config.get('BATCH_JOB_QUEUE');
    // @ts-expect-error DATATOOLS_S3ROOT is derived from a setting that may be unset
    const dt: string = config.get('DATATOOLS_S3ROOT');
    assert.deepEqual(
      [typeof root, typeof workers, typeof user, queue, dt],
      ['string', 'number', 'string', undefined, undefined],
    );
  });

  it('derives defaults from other settings, wherever those come from', async () => {
    const dir = await profile('config.json', { METAFLOW_DATASTORE_SYSROOT_S3: 's3://bucket/mf/' });
    const config = loadConfig({
      METAFLOW_HOME: dir,
      METAFLOW_DEFAULT_CONTAINER_IMAGE: 'python:3.11',
      METAFLOW_SERVICE_URL: 'https://md.example.com',
    });
    assert.equal(config.get('DATATOOLS_S3ROOT'), 's3://bucket/mf/data');
    assert.equal(config.get('CARD_S3ROOT'), 's3://bucket/mf/mf.cards');
    assert.equal(config.get('BATCH_CONTAINER_IMAGE'), 'python:3.11');
    assert.equal(config.get('SERVICE_INTERNAL_URL'), 'https://md.example.com');
    const suffix = loadConfig({ METAFLOW_HOME: dir, METAFLOW_DATATOOLS_SUFFIX: 'dt' });
    assert.equal(suffix.get('DATATOOLS_S3ROOT'), 's3://bucket/mf/dt');
    const explicit = loadConfig({ METAFLOW_HOME: dir, METAFLOW_DATATOOLS_S3ROOT: 's3://other/x' });
    assert.equal(explicit.get('DATATOOLS_S3ROOT'), 's3://other/x');
  });

  it('hands out JSON defaults that callers cannot change', () => {
    const config = loadConfig({ METAFLOW_HOME: path.join(home, 'none') });
    assert.throws(() => {
      (config.get('BATCH_DEFAULT_TAGS') as Record<string, string>).x = 'y';
    }, TypeError);
    assert.deepEqual(loadConfig({ METAFLOW_HOME: path.join(home, 'none') }).get('BATCH_DEFAULT_TAGS'), {});
  });

  it('has one row per name, prefixed METAFLOW_ or STEPFLOW_, with help', () => {
    assert.equal(new Set(SETTINGS.map((s) => s.name)).size, SETTINGS.length);
    for (const s of SETTINGS) assert.ok(s.help.length > 0, s.name);
    const stepflow: string[] = SETTINGS.filter((s) => s.prefix === 'STEPFLOW_').map((s) => s.name);
    const names = [
      'MAX_WORKERS',
      'SPOT_RETRIES',
      'LAYER_MAX_MB',
      'BATCH_PLATFORM',
      'BATCH_IMAGE_PACKAGES',
      'BATCH_API_DEADLINE_S',
    ];
    for (const name of names) assert.ok(stepflow.includes(name), name);
  });
});

describe('currentUser', () => {
  it('reads METAFLOW_USER from the environment, then the profile file, then the OS', async () => {
    const none = path.join(home, 'none');
    assert.equal(currentUser({ METAFLOW_HOME: none, METAFLOW_USER: 'alice' }), 'alice');
    const dir = await profile('config.json', { METAFLOW_USER: 'bob' });
    assert.equal(currentUser({ METAFLOW_HOME: dir }), 'bob');
    const os = currentUser({ METAFLOW_HOME: none });
    assert.ok(os.length > 0);
    assert.deepEqual(loadConfig({ METAFLOW_HOME: none }).source('USER'), {
      kind: 'default',
      detail: '<OS user>',
    });
  });
});
