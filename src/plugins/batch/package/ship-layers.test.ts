import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { SubmitJobCommandInput } from '@aws-sdk/client-batch';
import { FakeBatchApi } from '../../../../test/support/fake-batch-api.js';
import { batchStep, collect, fakeLaunchSpec, testLauncher } from '../../../../test/support/fake-launch.js';
import type { LayerInfo, LayerRequest, RuntimeRunContext } from '../../../decorators/contract.js';
import { BatchConfigError } from '../errors.js';
import { imagePackagesSetting } from '../settings.js';

function resolved(stepName: string, options: Record<string, unknown> = {}, settings: object = {}) {
  return batchStep(stepName, { options, settings: { imageNodePath: ['/app/node_modules'], ...settings } });
}

describe('imagePackages', () => {
  it('takes a list or a comma-separated string, adds STEPFLOW_BATCH_IMAGE_PACKAGES, refuses non-package names', () => {
    assert.deepEqual(resolved('s', { imagePackages: 'sharp, @duckdb/node-api' }).imagePackages, [
      '@duckdb/node-api',
      'sharp',
    ]);
    assert.deepEqual(
      resolved('s', { imagePackages: ['sharp'] }, { imagePackages: ['tiktoken'] }).imagePackages,
      ['sharp', 'tiktoken'],
    );
    assert.throws(
      () => resolved('s', { imagePackages: ['Sharp/lib'] }),
      /@batch on step F\.s: option "imagePackages" (must name npm packages|must be npm package names)/,
    );
    assert.throws(() => resolved('s', { imagePackages: 'sharp,../x' }), /"\.\.\/x" is not one/);
    assert.throws(
      () => imagePackagesSetting('sharp,Bad Name'),
      (err: Error) =>
        err instanceof BatchConfigError &&
        /^STEPFLOW_BATCH_IMAGE_PACKAGES: "Bad Name" is not an npm package name\. .*=sharp,@duckdb\/node-api/.test(
          err.message,
        ),
    );
  });
});

describe('BatchLauncher: dependency layers before the first SubmitJob', () => {
  async function setup(steps: ReturnType<typeof resolved>[], buildLayer: RuntimeRunContext['buildLayer']) {
    return testLauncher({
      api: new FakeBatchApi({ instanceTypes: [['m7g']] }),
      run: buildLayer ? { buildLayer } : {},
      steps,
      env: { METAFLOW_S3_ENDPOINT_URL: 'http://127.0.0.1:9' },
    });
  }

  it('builds one layer per platform and image packages, stores it once by sha, and passes it to the job', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'stepflow-layer-test-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const archive = Buffer.from('not really a tar.gz, the launcher only stores it');
    const archivePath = path.join(dir, 'layer.tgz');
    await writeFile(archivePath, archive);
    const { createHash } = await import('node:crypto');
    const sha256 = createHash('sha256').update(archive).digest('hex');
    const requests: LayerRequest[] = [];
    const build = async (request: LayerRequest): Promise<LayerInfo> => {
      requests.push(request);
      return {
        sha256,
        size: archive.length,
        archivePath,
        platform: request.platform,
        packages: [{ name: 'sharp', version: '0.35.5' }],
        files: 3,
      };
    };
    const steps = [resolved('train'), resolved('score'), resolved('image', { imagePackages: ['sharp'] })];
    const first = await setup(steps, build);
    await first.launcher.prepare();
    assert.deepEqual(
      requests.map((r) => [r.platform.cpu, r.provided, r.steps]),
      [
        ['arm64', [], ['train', 'score']],
        ['arm64', ['sharp'], ['image']],
      ],
    );
    const key = `F/data/${sha256.slice(0, 2)}/${sha256}`;
    const stored = await first.storage.get(key);
    assert.deepEqual(stored, Buffer.concat([Buffer.from([0]), archive]), 'header byte + archive');
    assert.match(
      first.notices.join('\n'),
      /dependency layer for linux-arm64 \(1 packages, 0\.0 MiB, [0-9a-f]{12}\): uploaded/,
    );
    assert.match(first.notices.join('\n'), /already stored, nothing uploaded; from the image: sharp/);
    const task = first.launcher.launch(fakeLaunchSpec('image'));
    await Promise.all([collect(task.stdout), collect(task.stderr), task.done]);
    const submitted = first.api.calls.find(([a]) => a === 'SubmitJob')?.[1] as SubmitJobCommandInput;
    const env = Object.fromEntries(
      (submitted.containerOverrides?.environment ?? []).map((e) => [e.name, e.value]),
    );
    assert.equal(env.STEPFLOW_LAYER_URL, `s3://bucket/runs/${key}`);
    assert.equal(env.STEPFLOW_LAYER_SHA, sha256);
    assert.equal(env.STEPFLOW_LAYER_SIZE, String(archive.length));
    assert.equal(env.STEPFLOW_IMAGE_PACKAGES, 'sharp');
    assert.equal(env.STEPFLOW_IMAGE_NODE_PATH, '/app/node_modules');
    first.launcher.close();
  });

  it('a layer the build refuses stops the run before any SubmitJob, with the build error', async () => {
    const refuse = async (): Promise<LayerInfo> => {
      throw new Error('@duckdb/node-bindings has no build for linux-arm64: use an x64 queue');
    };
    const { api, launcher } = await setup([resolved('train')], refuse);
    const task = launcher.launch(fakeLaunchSpec('train'));
    const [, stderr, outcome] = await Promise.all([collect(task.stdout), collect(task.stderr), task.done]);
    assert.match(
      stderr,
      /@batch step F\.train \(linux-arm64\): nothing was submitted, the dependency layer cannot be built: @duckdb\/node-bindings has no build/,
    );
    assert.ok(outcome.killedReason);
    assert.equal(api.count('SubmitJob'), 0);
    launcher.close();
  });

  it('a damaged cached layer (sha256 differs) is never stored', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'stepflow-layer-test-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const archivePath = path.join(dir, 'layer.tgz');
    await writeFile(archivePath, 'damaged');
    const build = async (request: LayerRequest): Promise<LayerInfo> => ({
      sha256: 'c'.repeat(64),
      size: 7,
      archivePath,
      platform: request.platform,
      packages: [],
      files: 1,
    });
    const { api, storage, launcher } = await setup([resolved('train')], build);
    await assert.rejects(
      launcher.prepare(),
      /could not store the dependency layer .*has sha256 [0-9a-f]{64}, not c{64}: delete it/,
    );
    assert.equal((await storage.list('', { recursive: true })).length, 0);
    assert.equal(api.count('SubmitJob'), 0);
    launcher.close();
  });
});
