import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { awsEndpoint, createTestBucket } from '../../test/support/aws.js';
import { mapBounded } from '../common/index.js';
import { FlowDatastore } from '../datastore/flow-datastore.js';
import { S3Storage } from '../datastore/s3/s3-storage.js';
import type { ArtifactRef } from '../datastore/types.js';
import { type JoinInput, makeInputs } from './inputs.js';

const ref = (sha: string): ArtifactRef => ({ sha, size: 1, encoding: 'v8', type: 'number' });

describe('join inputs: read-ahead of a touched artifact', () => {
  it('reads a touched artifact for the next inputs in growing batches; untouched artifacts never', () => {
    const joinInputs: JoinInput[] = Array.from({ length: 300 }, (_, i) => ({
      step: 'work',
      taskId: String(i + 2),
      refs: { score: ref(`s${i}`), big: ref(`b${i}`) },
    }));
    const batches: string[][] = [];
    const loads: string[] = [];
    const inputs = makeInputs(
      joinInputs,
      (r) => {
        loads.push(r.sha);
        return Number(r.sha.slice(1));
      },
      false,
      (refs) => {
        batches.push(refs.map((r) => r.sha));
        return true;
      },
    ) as readonly { score: number; big: number }[];
    assert.equal(inputs[5].score, 5, 'a first touch in the middle reads ahead from there');
    assert.deepEqual(
      batches.map((b) => [b[0], b.length]),
      [['s5', 64]],
    );
    assert.deepEqual(
      inputs.map((i) => i.score),
      joinInputs.map((_, i) => i),
    );
    assert.deepEqual(
      batches.map((b) => [b[0], b.length]),
      [
        ['s5', 64],
        ['s0', 5],
        ['s69', 231],
      ],
    );
    assert.equal(loads.length, 300, 'each value loaded once');
    assert.ok(!batches.flat().some((sha) => sha.startsWith('b')), '`big` is never read');
  });

  it('stops reading ahead when the datastore reads synchronously anyway (local)', () => {
    const joinInputs: JoinInput[] = Array.from({ length: 200 }, (_, i) => ({
      step: 'work',
      taskId: String(i + 2),
      refs: { score: ref(`s${i}`) },
    }));
    let calls = 0;
    const inputs = makeInputs(
      joinInputs,
      (r) => r.sha,
      false,
      () => {
        calls++;
        return false;
      },
    ) as readonly { score: string }[];
    assert.equal(inputs.map((i) => i.score).length, 200);
    assert.equal(calls, 1);
  });
});

describe('join inputs on S3 (moto)', () => {
  let endpoint: string | undefined;
  let storage: S3Storage;

  before(async () => {
    endpoint = process.env.STEPFLOW_TEST_AWS_ENDPOINT;
    if (!endpoint) return;
    const bucket = await createTestBucket(endpoint);
    storage = new S3Storage(`s3://${bucket}/ds`, {
      endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  after(() => storage?.close());

  it('one artifact of each of 300 inputs is read in 3 parallel batches, not 300 GETs', async (t) => {
    if (!awsEndpoint(t)) return;
    const fds = new FlowDatastore(storage, 'WideFlow');
    const joinInputs = await mapBounded(
      Array.from({ length: 300 }, (_, i) => i),
      8,
      async (i) => ({
        step: 'work',
        taskId: String(i + 2),
        refs: await fds.saveArtifacts({ score: i, big: 'never read' }),
      }),
    );
    const batches: number[] = [];
    const getManySync = storage.getManySync.bind(storage);
    storage.getManySync = (keys, concurrency) => {
      batches.push(keys.length);
      return getManySync(keys, concurrency);
    };
    const reader = new FlowDatastore(storage, 'WideFlow');
    const inputs = makeInputs(
      joinInputs,
      (r) => reader.loadArtifactSync(r),
      false,
      (refs) => reader.prefetchArtifactsSync(refs),
    ) as readonly { score: number }[];
    assert.deepEqual(
      inputs.map((i) => i.score),
      joinInputs.map((_, i) => i),
    );
    assert.deepEqual(batches, [64, 128, 108], 'no input costs a GET of its own');
    assert.equal(reader.contentStore.stats.blobsLoaded, 300, '`big` is never read');
  });
});
