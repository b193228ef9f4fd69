import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../config/index.js';
import { BatchConfigError } from './errors.js';
import { batchSettings, defaultNodeImage, namesRegistry, resolveImage, withRegistry } from './settings.js';

describe('settings', () => {
  it('namesRegistry follows Docker: a first segment with "." or ":", localhost, or upper case', () => {
    const cases: Array<[string, boolean]> = [
      ['node', false],
      ['node:22', false],
      ['org/app', false],
      ['org/app:1.2', false],
      ['library/node@sha256:abc', false],
      ['docker.io/library/node', true],
      ['localhost:5000/app', true],
      ['localhost/app', true],
      ['123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1', true],
      ['ghcr.io/org/app', true],
      ['10.0.0.1:5000/app', true],
      ['MyRegistry/app', true],
    ];
    for (const [image, expected] of cases) assert.equal(namesRegistry(image), expected, image);
  });

  it('withRegistry prefixes only images that name no registry', () => {
    const cases: Array<[string, string | undefined, string]> = [
      ['node:22', undefined, 'node:22'],
      ['node:22', '', 'node:22'],
      ['node:22', 'reg.example.com', 'reg.example.com/node:22'],
      ['node:22', 'reg.example.com/mirror/', 'reg.example.com/mirror/node:22'],
      ['node:22', 'https://reg.example.com', 'reg.example.com/node:22'],
      ['org/app', 'reg.example.com', 'reg.example.com/org/app'],
      ['docker.io/org/app', 'reg.example.com', 'docker.io/org/app'],
      ['localhost:5000/app', 'reg.example.com', 'localhost:5000/app'],
      [
        '123456789012.dkr.ecr.us-east-1.amazonaws.com/app',
        'reg.example.com',
        '123456789012.dkr.ecr.us-east-1.amazonaws.com/app',
      ],
    ];
    for (const [image, registry, expected] of cases)
      assert.equal(withRegistry(image, registry), expected, image);
  });

  it('the image: option, then METAFLOW_BATCH_CONTAINER_IMAGE, then node:<major> of the launching Node', () => {
    assert.equal(defaultNodeImage('20.19.1'), 'node:20');
    assert.equal(defaultNodeImage('22.3.0'), 'node:22');
    assert.equal(defaultNodeImage(), `node:${process.versions.node.split('.')[0]}`);
    assert.equal(resolveImage('mine:1', { image: 'conf:1' }), 'mine:1');
    assert.equal(resolveImage(undefined, { image: 'conf:1' }), 'conf:1');
    assert.equal(resolveImage(undefined, {}, '22.1.0'), 'node:22');
    assert.equal(resolveImage(undefined, { registry: 'reg.io' }, '20.1.0'), 'reg.io/node:20');
  });

  it('batchSettings reads the METAFLOW_ settings (environment over profile file)', async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'batch-settings-'));
    try {
      await fs.writeFile(
        path.join(home, 'config.json'),
        JSON.stringify({
          METAFLOW_BATCH_JOB_QUEUE: 'from-file',
          METAFLOW_BATCH_DEFAULT_TAGS: { team: 'ml', n: 3 },
        }),
      );
      const env = {
        METAFLOW_HOME: home,
        METAFLOW_BATCH_CONTAINER_IMAGE: 'img:1',
        METAFLOW_DEFAULT_CONTAINER_REGISTRY: 'reg.io',
        METAFLOW_ECS_S3_ACCESS_IAM_ROLE: 'arn:aws:iam::123456789012:role/job',
        METAFLOW_BATCH_EMIT_TAGS: 'true',
        METAFLOW_DEFAULT_RUNTIME_LIMIT: '3600',
      };
      assert.deepEqual(batchSettings(loadConfig(env, { cwd: home, homeDir: home })), {
        image: 'img:1',
        registry: 'reg.io',
        queue: 'from-file',
        iamRole: 'arn:aws:iam::123456789012:role/job',
        executionRole: undefined,
        runtimeLimitSeconds: 3600,
        defaultTags: { team: 'ml', n: '3' },
        emitTags: true,
        imagePackages: [],
        imageNodePath: ['/app/node_modules', '/usr/local/lib/node_modules', '/usr/lib/node_modules'],
      });
      const defaults = batchSettings(
        loadConfig({ METAFLOW_HOME: path.join(home, 'none') }, { homeDir: home }),
      );
      assert.equal(defaults.queue, undefined);
      assert.equal(defaults.runtimeLimitSeconds, 432000);
      assert.equal(defaults.emitTags, false);
      assert.throws(
        () =>
          batchSettings(
            loadConfig({
              METAFLOW_HOME: path.join(home, 'none'),
              METAFLOW_BATCH_DEFAULT_TAGS: '{"a": {"b": 1}}',
            }),
          ),
        (err: unknown) => err instanceof BatchConfigError && err.setting === 'METAFLOW_BATCH_DEFAULT_TAGS',
      );
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });
});
