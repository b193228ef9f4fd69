import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { awsEndpoint, createTestBucket } from '../../../test/support/aws.js';
import { ContentStore } from '../content-store.js';
import { FlowDatastore } from '../flow-datastore.js';
import { S3Storage } from './s3-storage.js';

const MiB = 1024 * 1024;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

describe('ContentStore and FlowDatastore on S3 (moto)', () => {
  let endpoint: string | undefined;
  let storage: S3Storage;

  before(async () => {
    endpoint = process.env.STEPFLOW_TEST_AWS_ENDPOINT;
    if (!endpoint) return;
    const bucket = await createTestBucket(endpoint);
    storage = new S3Storage(`s3://${bucket}/ds`, { endpoint, credentials, sse: 'AES256' });
  });
  after(() => storage?.close());

  it('saves blobs once (content-addressed) and loads them back, sync and async', async (t) => {
    if (!awsEndpoint(t)) return;
    const cas = new ContentStore(storage);
    const [a, b] = await cas.saveBlobs('F', [Buffer.from('hello'), Buffer.from('x'.repeat(10_000))]);
    assert.equal((await cas.loadBlob('F', a)).toString(), 'hello');
    assert.equal(cas.loadBlobSync('F', b).toString(), 'x'.repeat(10_000), 'a gzip frame read synchronously');
    await cas.saveBlobs('F', [Buffer.from('hello')]);
    assert.equal(cas.stats.blobsWritten, 2);
    assert.equal(cas.stats.blobsSkipped, 1, 'the second save of the same bytes is skipped');
    assert.equal(await cas.hasBlob('F', a), true);
  });

  it('round-trips artifacts, including a 64 MiB typed array, and run and task records', async (t) => {
    if (!awsEndpoint(t)) return;
    const fds = new FlowDatastore(storage, 'TrainFlow');
    const weights = new Float64Array((64 * MiB) / 8);
    for (let i = 0; i < weights.length; i += 997) weights[i] = i / 7;
    const values = { alpha: 0.25, names: new Map([['a', 1]]), weights, nested: { list: [1, 2, 3] } };
    const refs = await fds.saveArtifacts(values);
    assert.equal(refs.weights.size, 64 * MiB + 15);
    const td = fds.task('1', 'start', '0');
    await td.writeData(0, refs);
    await td.writeDone(0, { attempt: 0, ok: true, endedAt: new Date(0).toISOString() });
    assert.equal(await td.latestDoneAttempt(), 0);
    assert.deepEqual(await fds.listSteps('1'), ['start']);
    assert.deepEqual(await fds.listTasks('1', 'start'), ['0']);
    const loaded = await fds.loadArtifacts((await td.readData(0)) ?? {});
    assert.equal(loaded.alpha, 0.25);
    assert.deepEqual(loaded.names, values.names);
    assert.deepEqual(loaded.nested, values.nested);
    const back = loaded.weights as Float64Array;
    assert.ok(back instanceof Float64Array);
    assert.equal(back.length, weights.length);
    assert.ok(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(weights.buffer)));
    const sync = fds.loadArtifactSync(refs.weights) as Float64Array;
    assert.equal(sync[997], weights[997]);
    assert.equal(sync.length, weights.length);
    assert.equal(fds.loadArtifactSync(refs.alpha), 0.25);
  });
});
