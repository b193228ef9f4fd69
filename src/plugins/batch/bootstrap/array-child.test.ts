import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { writeTar } from '../../../package/tar.js';
import { ARRAY_CHUNK, ARRAY_MANIFEST_ENV, arrayChild, arrayIndex } from './array-child.js';
import type { Fetch } from './credentials.js';
import { BOOTSTRAP_ENV } from './main.js';
import { BOOTSTRAP_SCRIPT } from './script.js';

/** A local S3 stand-in serving fixed objects (path-style, `/bucket/key`) and a credentials endpoint. */
function serve(objects: Map<string, Buffer>): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/creds') return res.end('{"AccessKeyId":"AK","SecretAccessKey":"SK","Token":"TK"}');
    const body = objects.get(req.url ?? '');
    if (body) return res.end(body);
    res.statusCode = 404;
    res.end('<Error><Code>NoSuchKey</Code></Error>');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

function chunk(first: number, count: number): Buffer {
  const children = Array.from({ length: count }, (_, i) => ({
    task: { flowName: 'F', taskId: String(first + i) },
    env: { STEPFLOW_CHILD: `child-${first + i}` },
  }));
  return Buffer.from(JSON.stringify({ version: 1, first, children }));
}

describe('bootstrap: an array child finds its task in the manifest', () => {
  let server: Server;
  let endpoint: string;
  const objects = new Map<string, Buffer>();

  before(async () => {
    objects.set('/bucket/F/1/_arrays/s/a1-0/0.json', chunk(0, ARRAY_CHUNK));
    objects.set('/bucket/F/1/_arrays/s/a1-0/1.json', chunk(100, 50));
    ({ server, endpoint } = await serve(objects));
  });

  after(() => server.close());

  const env = (extra: Record<string, string>) => ({
    METAFLOW_S3_ENDPOINT_URL: endpoint,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint}/creds`,
    [ARRAY_MANIFEST_ENV]: 's3://bucket/F/1/_arrays/s/a1-0/',
    ...extra,
  });

  it('takes its index from AWS_BATCH_JOB_ARRAY_INDEX, else from the suffix of AWS_BATCH_JOB_ID (moto)', () => {
    assert.equal(arrayIndex({ AWS_BATCH_JOB_ARRAY_INDEX: '12', AWS_BATCH_JOB_ID: 'p:3' }), 12);
    assert.equal(arrayIndex({ AWS_BATCH_JOB_ID: '0f3a-77:4321' }), 4321);
    assert.throws(() => arrayIndex({ AWS_BATCH_JOB_ID: '0f3a-77' }), /without an index.*0f3a-77/);
  });

  it('reads chunk ⌊i/100⌋ and takes entry i - first, with its environment', async () => {
    const f = fetch as unknown as Fetch;
    const a = await arrayChild(env({ AWS_BATCH_JOB_ID: 'p:123' }), f);
    assert.deepEqual(a.args, ['step', JSON.stringify({ flowName: 'F', taskId: '123' })]);
    assert.deepEqual(a.env, { STEPFLOW_CHILD: 'child-123' });
    const b = await arrayChild(env({ AWS_BATCH_JOB_ARRAY_INDEX: '7', AWS_BATCH_JOB_ID: 'p:7' }), f);
    assert.equal(b.env.STEPFLOW_CHILD, 'child-7');
  });

  it('says which manifest and index when the entry or the chunk is missing', async () => {
    const f = fetch as unknown as Fetch;
    await assert.rejects(
      arrayChild(env({ AWS_BATCH_JOB_ID: 'p:160' }), f),
      /a1-0\/1\.json has no entry for child 160/,
    );
    await assert.rejects(
      arrayChild(env({ AWS_BATCH_JOB_ID: 'p:250' }), f),
      /could not read the array manifest s3:\/\/bucket\/F\/1\/_arrays\/s\/a1-0\/2\.json of child 250/,
    );
  });

  it('the inline script runs the entry`s task with its environment (`node -e BOOTSTRAP_SCRIPT array`)', async () => {
    const bundle = `console.log(JSON.stringify({ args: process.argv.slice(2), child: process.env.STEPFLOW_CHILD }));`;
    const archive = gzipSync(writeTar([{ name: 'bundle.mjs', data: Buffer.from(bundle) }]));
    const sha = createHash('sha256').update(archive).digest('hex');
    objects.set('/bucket/F/data/ab/pkg', Buffer.concat([Buffer.from([0]), archive]));
    const dir = await mkdtemp(path.join(tmpdir(), 'stepflow-array-'));
    try {
      const childEnv = {
        PATH: process.env.PATH,
        METAFLOW_TEMPDIR: dir,
        [BOOTSTRAP_ENV.url]: 's3://bucket/F/data/ab/pkg',
        [BOOTSTRAP_ENV.sha]: sha,
        ...env({ AWS_BATCH_JOB_ID: 'parent-id:42' }),
      };
      const child = spawn(process.execPath, ['-e', BOOTSTRAP_SCRIPT, 'array'], { env: childEnv });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (out += d));
      const code = await new Promise<number | null>((r) => child.on('close', r));
      assert.equal(code, 0, out);
      assert.deepEqual(JSON.parse(out.trim()), {
        args: ['step', JSON.stringify({ flowName: 'F', taskId: '42' })],
        child: 'child-42',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
