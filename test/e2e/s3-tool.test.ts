/**
 * The S3 data tool inside a real run: `stepflow run` of a flow whose steps use `new S3({ run: this })`,
 * against the moto server `scripts/test.mjs` starts.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { S3 } from '../../src/index.js';
import { awsEndpoint, createTestBucket, TEST_AWS_ENV } from '../support/aws.js';
import { artifactsOf, runFlow, taskIds, type Workspace, workspace } from './helpers.js';

let ws: Workspace;
before(async () => {
  ws = await workspace();
});
after(async () => {
  await ws.cleanup();
});

describe('S3 data tool in a flow', () => {
  it('steps put and get objects under METAFLOW_DATATOOLS_S3ROOT/<flow>/<run>, downloads in METAFLOW_TEMPDIR', async (t) => {
    const endpoint = awsEndpoint(t);
    if (!endpoint) return;
    const bucket = await createTestBucket(endpoint);
    const tempRoot = join(ws.dir, 'tmpfs');
    await mkdir(tempRoot);
    const env = {
      ...TEST_AWS_ENV,
      METAFLOW_S3_ENDPOINT_URL: endpoint,
      METAFLOW_DATATOOLS_S3ROOT: `s3://${bucket}/data`,
      METAFLOW_TEMPDIR: tempRoot,
    };
    const r = await runFlow(ws, 's3-tool-flow.ts', [], { env });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(r.flowName, 'S3ToolFlow');
    assert.match(r.stdout, /join read 3 shards: shards\/0\.txt=20 shards\/1\.txt=40 shards\/2\.txt=60/);

    const runRoot = `s3://${bucket}/data/S3ToolFlow/${r.runId}`;
    const [startTask] = await taskIds(ws.root, 'S3ToolFlow', r.runId, 'start');
    const start = await artifactsOf(ws.root, 'S3ToolFlow', r.runId, 'start', startTask as string);
    assert.equal(start.inputUrl, `${runRoot}/input.json`);

    const [joinTask] = await taskIds(ws.root, 'S3ToolFlow', r.runId, 'join');
    const joined = await artifactsOf(ws.root, 'S3ToolFlow', r.runId, 'join', joinTask as string);
    assert.deepEqual(joined.summary, ['shards/0.txt=20', 'shards/1.txt=40', 'shards/2.txt=60']);
    assert.ok(
      String(joined.downloadDir).startsWith(join(tempRoot, 'stepflow.s3.')),
      String(joined.downloadDir),
    );
    assert.equal(joined.downloadDirRemoved, true);

    const [endTask] = await taskIds(ws.root, 'S3ToolFlow', r.runId, 'end');
    const end = await artifactsOf(ws.root, 'S3ToolFlow', r.runId, 'end', endTask as string);
    assert.deepEqual(end.inputMetadata, { writtenBy: 'start' });
    assert.equal(end.inputContentType, 'application/json');

    // The run's data, read afterwards from outside the flow, by run reference and by URL.
    Object.assign(process.env, TEST_AWS_ENV, { METAFLOW_DATATOOLS_S3ROOT: `s3://${bucket}/data` });
    await using s3 = new S3({ run: { flowName: 'S3ToolFlow', id: r.runId }, endpoint, tmproot: ws.dir });
    assert.equal(s3.s3root, runRoot);
    const listed = await s3.listRecursive();
    assert.deepEqual(
      listed.map((o) => o.key),
      ['input.json', 'shards/0.txt', 'shards/1.txt', 'shards/2.txt'],
    );
    assert.equal((await s3.get(`${runRoot}/shards/2.txt`)).text, '60');
  });
});
