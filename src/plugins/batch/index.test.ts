import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DecoratorOptionError } from '../../decorators/errors.js';
import { getStepDecorator } from '../../decorators/registry.js';
import { parseWithSpec, resolveDecorators } from '../../decorators/resolve.js';
import type { StepDecoratorUse } from '../../flow/metadata.js';
import { extractFlows } from '../../graph/extract.js';
import * as stepflow from '../../index.js';
import '../index.js';
import {
  BatchConfigError,
  batch,
  batchPlugin,
  jobDefinitionFor,
  type ParsedBatchOptions,
  requireQueue,
  resolveBatchStep,
  stepTimeout,
} from './index.js';

const graph = extractFlows(
  'f.ts',
  `import { FlowSpec, step } from 'stepflow';
export default class F extends FlowSpec { @step start() { this.next(this.train); } @step train() { this.next(this.end); } @step end() {} }`,
).flows[0];

const use = (name: string, options: Record<string, unknown> = {}): StepDecoratorUse => ({
  name,
  options,
  source: 'static',
});
const saved: Record<string, string | undefined> = {};
let home = '';

// stepInit reads the configuration: give it an empty profile and no METAFLOW_ variables.
before(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'batch-plugin-'));
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('METAFLOW_')) {
      saved[key] = process.env[key];
      delete process.env[key];
    }
  }
  if (!('METAFLOW_HOME' in saved)) saved.METAFLOW_HOME = undefined;
  process.env.METAFLOW_HOME = home;
});

after(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  fs.rmSync(home, { recursive: true, force: true });
});

function batchOf(byStep: Map<string, { name: string; options: Record<string, unknown> }[]>, step: string) {
  return byStep.get(step)?.find((d) => d.name === 'batch')?.options as ParsedBatchOptions | undefined;
}

describe('index', () => {
  it('batch is registered and exported from the package', () => {
    assert.equal(getStepDecorator('batch'), batchPlugin);
    // The package exports a recorder (no validation code in task bundles); the plugin validates in the CLI.
    assert.equal(typeof stepflow.batch, 'function');
    assert.throws(() => stepflow.batch((() => {}) as never), /@batch must be called/);
    assert.throws(() => batch(((): void => {}) as never), /@batch must be called/);
  });

  it('stepInit: no queue configured is not an error yet (the step still runs locally)', () => {
    const byStep = resolveDecorators(graph, new Map([['train', [use('batch')]]]), []);
    const options = batchOf(byStep, 'train');
    assert.ok(options);
    const resolved = resolveBatchStep({
      flowName: 'F',
      stepName: 'train',
      options,
      decorators: byStep.get('train') ?? [],
    });
    assert.equal(resolved.queue, undefined);
    assert.match(resolved.notices[0], /no IAM role .* use the credentials of the instance/);
    assert.throws(
      () => requireQueue(resolved),
      (err: unknown) => err instanceof BatchConfigError && err.setting === 'METAFLOW_BATCH_JOB_QUEUE',
    );
    assert.throws(() => jobDefinitionFor(resolved, 'EC2'), /no job queue\. Set METAFLOW_BATCH_JOB_QUEUE/);
  });

  it('stepInit: merges @resources and writes the effective sizes back; trainium folds into inferentia', () => {
    const byStep = resolveDecorators(
      graph,
      new Map([
        [
          'train',
          [
            use('batch', { cpu: 4, memory: 1024, trainium: 1 }),
            use('resources', { memory: 16384, gpu: 1, sharedMemory: 128 }),
          ],
        ],
      ]),
      [],
    );
    const options = batchOf(byStep, 'train');
    assert.equal(options?.cpu, 4);
    assert.equal(options?.memory, 16384);
    assert.equal(options?.gpu, 1);
    assert.equal(options?.sharedMemory, 128);
    assert.equal(options?.inferentia, 1);
    assert.equal(options?.trainium, undefined);
    // Resolving again (as the launcher will) gives the same sizes.
    const again = resolveBatchStep({
      flowName: 'F',
      stepName: 'train',
      options: options as ParsedBatchOptions,
      decorators: byStep.get('train') ?? [],
    });
    assert.deepEqual([again.cpu, again.memory, again.gpu, again.inferentia], [4, 16384, 1, 1]);
  });

  it('stepInit: the @timeout limit must be at least 60 s; the attemptTimeout hook gives it', () => {
    assert.throws(
      () =>
        resolveDecorators(graph, new Map([['train', [use('batch'), use('timeout', { seconds: 30 })]]]), []),
      (err: unknown) =>
        err instanceof DecoratorOptionError &&
        /^@batch on step F\.train: the time limit @timeout\(seconds=30\) is 30 seconds; AWS Batch needs at least 60/.test(
          err.message,
        ),
    );
    const byStep = resolveDecorators(
      graph,
      new Map([['train', [use('batch'), use('timeout', { minutes: 2 })]]]),
      [],
    );
    assert.deepEqual(
      stepTimeout({ flowName: 'F', stepName: 'train', decorators: byStep.get('train') ?? [] }),
      {
        seconds: 120,
        source: '@timeout(minutes=2)',
      },
    );
  });

  it('--with batch: snake_case options, every step, invalid values fail before anything runs', () => {
    const byStep = resolveDecorators(graph, new Map(), [
      parseWithSpec('batch:shared_memory=256,use_tmpfs=true,max_swap=0,swappiness=10'),
    ]);
    for (const step of ['start', 'train', 'end']) {
      const options = batchOf(byStep, step);
      assert.equal(options?.sharedMemory, 256, step);
      assert.equal(options?.useTmpfs, true, step);
    }
    assert.throws(
      () => resolveDecorators(graph, new Map(), [parseWithSpec('batch:swappiness=10')]),
      /@batch on step F\.start: option "swappiness" needs "maxSwap"/,
    );
  });

  it('settings from the environment reach the resolved step', () => {
    process.env.METAFLOW_BATCH_JOB_QUEUE = 'env-queue';
    process.env.METAFLOW_ECS_S3_ACCESS_IAM_ROLE = 'arn:aws:iam::123456789012:role/job';
    process.env.METAFLOW_BATCH_CONTAINER_REGISTRY = 'reg.example.com';
    try {
      const byStep = resolveDecorators(graph, new Map([['train', [use('batch')]]]), []);
      const resolved = resolveBatchStep({
        flowName: 'F',
        stepName: 'train',
        options: batchOf(byStep, 'train') as ParsedBatchOptions,
        decorators: byStep.get('train') ?? [],
      });
      assert.equal(resolved.queue, 'env-queue');
      assert.equal(resolved.image, `reg.example.com/node:${process.versions.node.split('.')[0]}`);
      assert.deepEqual(resolved.notices, []);
      assert.equal(
        jobDefinitionFor(resolved, 'EC2').containerProperties?.jobRoleArn,
        'arn:aws:iam::123456789012:role/job',
      );
    } finally {
      delete process.env.METAFLOW_BATCH_JOB_QUEUE;
      delete process.env.METAFLOW_ECS_S3_ACCESS_IAM_ROLE;
      delete process.env.METAFLOW_BATCH_CONTAINER_REGISTRY;
    }
  });
});
