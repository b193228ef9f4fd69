import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { SubmitJobCommandInput } from '@aws-sdk/client-batch';
import type { LayerInfo, LayerRequest, RuntimeRunContext } from '../../decorators/contract.js';
import type { CodePackage } from '../../package/types.js';
import { BatchConfigError } from './errors.js';
import { FakeBatchApi } from './fake-batch-api.js';
import { collect, fakeLaunchSpec, S3Memory } from './fake-launch.js';
import { jobDefinitionFor } from './job-definition.js';
import { cpuOfInstanceType, cpuOfInstanceTypes, jobPlatformFor, parseJobPlatform } from './job-platform.js';
import { BatchLauncher } from './launcher.js';
import { parseBatchOptions } from './options.js';
import { BatchPreparation } from './prepare.js';
import { resolveBatch } from './resolve.js';
import { imagePackagesSetting } from './settings.js';

function resolved(stepName: string, options: Record<string, unknown> = {}, settings: object = {}) {
  const where = { flowName: 'F', stepName };
  return resolveBatch({
    where,
    options: parseBatchOptions(options, where),
    settings: {
      queue: 'q',
      runtimeLimitSeconds: 432000,
      defaultTags: {},
      emitTags: false,
      imageNodePath: ['/app/node_modules'],
      ...settings,
    },
    nodeVersion: '20.19.0',
  });
}

describe('job platform from the queue', () => {
  it('maps Graviton families (and a1) to arm64, every other type and optimal to x64', () => {
    for (const t of [
      'm7g',
      'm7g.large',
      'c7gn.2xlarge',
      'r8g',
      'a1.medium',
      'x2gd',
      'im4gn',
      'g5g',
      't4g.nano',
      'is4gen',
      'default_arm64',
    ]) {
      assert.equal(cpuOfInstanceType(t), 'arm64', t);
    }
    for (const t of [
      'optimal',
      'm5.large',
      'c7i',
      'm7a',
      'g5.xlarge',
      'g4dn',
      'p4d.24xlarge',
      'r6idn',
      'inf2',
      'default_x86_64',
    ]) {
      assert.equal(cpuOfInstanceType(t), 'x64', t);
    }
    assert.equal(cpuOfInstanceTypes([]), undefined);
    assert.equal(cpuOfInstanceTypes(['m7g', 'c7g.large']), 'arm64');
    assert.equal(cpuOfInstanceTypes(['m7g', 'optimal']), 'mixed');
  });

  it('STEPFLOW_BATCH_PLATFORM overrides the queue (with a notice when they differ); bad values are refused', () => {
    assert.deepEqual(jobPlatformFor({ queue: 'q', cpu: 'arm64' }, undefined).platform.cpu, 'arm64');
    assert.deepEqual(jobPlatformFor({ queue: 'q' }, undefined).platform.cpu, 'x64');
    const forced = jobPlatformFor({ queue: 'q', cpu: 'x64' }, 'linux-arm64');
    assert.equal(forced.platform.cpu, 'arm64');
    assert.match(forced.notice ?? '', /STEPFLOW_BATCH_PLATFORM=linux-arm64 overrides job queue "q"/);
    assert.equal(parseJobPlatform('linux/amd64').cpu, 'x64');
    assert.equal(parseJobPlatform('aarch64').cpu, 'arm64');
    assert.throws(
      () => parseJobPlatform('darwin-arm64'),
      (err: Error) =>
        err instanceof BatchConfigError &&
        /STEPFLOW_BATCH_PLATFORM="darwin-arm64".*linux-x64 or linux-arm64/.test(err.message),
    );
  });

  it('prepareSteps: a Graviton queue gives arm64 steps; a queue mixing arm64 and x86_64 is an error naming it', async () => {
    const arm = new BatchPreparation(new FakeBatchApi({ instanceTypes: [['m7g', 'c7gn.xlarge']] }));
    const { steps, notices } = await arm.prepareSteps([resolved('train')]);
    assert.equal(steps.get('train')?.jobPlatform.cpu, 'arm64');
    assert.match(notices.at(-1) ?? '', /job platforms: linux-arm64/);
    const mixed = new FakeBatchApi({ platforms: ['EC2', 'SPOT'], instanceTypes: [['m7g'], ['optimal']] });
    await assert.rejects(new BatchPreparation(mixed).prepareSteps([resolved('train')]), (err: Error) => {
      assert.ok(err instanceof BatchConfigError);
      assert.match(
        err.message,
        /job queue "q" mixes arm64 \(Graviton\) and x86_64 instance types \(m7g, optimal\)/,
      );
      return true;
    });
    assert.equal(mixed.count('RegisterJobDefinition'), 0, 'nothing registered');
    const forced = new BatchPreparation(new FakeBatchApi({ instanceTypes: [['optimal']] }), 'linux-arm64');
    assert.equal(
      (await forced.prepareSteps([resolved('train')])).steps.get('train')?.jobPlatform.cpu,
      'arm64',
    );
  });

  it('a Fargate job definition names its CPU architecture (runtimePlatform), x64 unless the setting says arm64', async () => {
    const r = resolved('train', {
      cpu: 1,
      memory: 2048,
      executionRole: 'arn:aws:iam::123456789012:role/exec',
    });
    assert.deepEqual(jobDefinitionFor(r, 'FARGATE').containerProperties?.runtimePlatform, {
      operatingSystemFamily: 'LINUX',
      cpuArchitecture: 'X86_64',
    });
    const prep = new BatchPreparation(new FakeBatchApi({ platforms: ['FARGATE'] }), 'linux-arm64');
    const { steps } = await prep.prepareSteps([r]);
    assert.equal(steps.get('train')?.jobPlatform.cpu, 'arm64');
    const api = new FakeBatchApi({ platforms: ['FARGATE'] });
    await new BatchPreparation(api, 'linux-arm64').prepareSteps([r]);
    const registered = api.calls.find(([a]) => a === 'RegisterJobDefinition')?.[1] as {
      containerProperties: { runtimePlatform: unknown };
    };
    assert.deepEqual(registered.containerProperties.runtimePlatform, {
      operatingSystemFamily: 'LINUX',
      cpuArchitecture: 'ARM64',
    });
    assert.equal(jobDefinitionFor(resolved('train'), 'EC2').containerProperties?.runtimePlatform, undefined);
  });
});

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
    const api = new FakeBatchApi({ instanceTypes: [['m7g']] });
    const storage = new S3Memory();
    const notices: string[] = [];
    const run: RuntimeRunContext = {
      flowName: 'F',
      runId: '1',
      storage,
      user: 'jane',
      codePackage: { sha: 'a'.repeat(64) } as CodePackage,
      notice: (m) => notices.push(m),
      ...(buildLayer ? { buildLayer } : {}),
    };
    const launcher = new BatchLauncher({
      run,
      steps,
      api,
      pollMs: 5,
      env: { METAFLOW_S3_ENDPOINT_URL: 'http://127.0.0.1:9' },
      storePackage: async () => ({ sha: 'b'.repeat(64), url: 's3://bucket/runs/F/data/bb/pkg' }),
    });
    return { api, storage, notices, launcher };
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
