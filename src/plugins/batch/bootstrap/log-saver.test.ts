import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startS3FaultProxy } from '../../../../scripts/lib/s3-fault-proxy.mjs';
import { awsEndpoint, createTestBucket, TEST_AWS_ENV } from '../../../../test/support/aws.js';
import { S3Storage } from '../../../datastore/s3/s3-storage.js';
import { loadS3Sdk } from '../../../datastore/s3/sdk.js';
import { writeTar } from '../../../package/tar.js';
import { TaskLogTail } from '../logs/task-log-tail.js';
import { type LogMarker, LogSaver, uploadDelayMs } from './log-saver.js';
import { BOOTSTRAP_ENV } from './main.js';
import { BOOTSTRAP_SCRIPT } from './script.js';

/** Waits until `check` resolves true (polling), failing after a generous bound. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${what}: not within 15 s`);
}

describe('bootstrap log saver: upload schedule', () => {
  it('uploads every 250 ms at first, less often with time, and paces a big log to about 1 MiB/s', () => {
    assert.equal(uploadDelayMs(0, 0), 250);
    assert.ok(uploadDelayMs(60_000, 0) < 400, 'well under 1 s in the first minute');
    assert.equal(uploadDelayMs(240_000, 0), 1000);
    assert.equal(uploadDelayMs(3_600_000, 0), 30_000);
    assert.equal(uploadDelayMs(0, 0, 10_000), 10_000, "the launcher's floor for a job among many");
    assert.equal(uploadDelayMs(3_600_000, 0, 10_000), 30_000);
    assert.equal(uploadDelayMs(0, 10 * 2 ** 20), 10_000, 'a 10 MiB log waits 10 s between uploads');
  });
});

describe('bootstrap log saver on moto (S3)', () => {
  let endpoint: string | undefined;
  let bucket: string;
  let storage: S3Storage;
  const env = () => ({ ...TEST_AWS_ENV, METAFLOW_S3_ENDPOINT_URL: endpoint as string });

  before(async () => {
    endpoint = process.env.STEPFLOW_TEST_AWS_ENDPOINT;
    if (!endpoint) return;
    bucket = await createTestBucket(endpoint);
    storage = new S3Storage(`s3://${bucket}/root`, {
      endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  after(() => storage?.close());

  it('PUTs the logs while the task runs, only when they grew, then both logs and the marker at close (SSE sent)', async (t) => {
    if (!awsEndpoint(t) || !endpoint) return;
    const saver = new LogSaver(`s3://${bucket}/root/F/1/s/2/0.`, {
      ...env(),
      METAFLOW_S3_SERVER_SIDE_ENCRYPTION: 'AES256',
    });
    saver.add('stdout', Buffer.from('first\n'));
    saver.start();
    await until(
      async () => String(await storage.get('F/1/s/2/0.stdout.log')) === 'first\n',
      'the first line is saved while running',
    );
    assert.equal(await storage.get('F/1/s/2/0.logs.json'), undefined, 'no marker while running');
    saver.add('stdout', Buffer.from('second\n'));
    saver.add('stderr', Buffer.from('oops\n'));
    await saver.close(3);
    assert.equal(String(await storage.get('F/1/s/2/0.stdout.log')), 'first\nsecond\n');
    assert.equal(String(await storage.get('F/1/s/2/0.stderr.log')), 'oops\n');
    assert.deepEqual(JSON.parse(String(await storage.get('F/1/s/2/0.logs.json'))), {
      stdout: 13,
      stderr: 5,
      segments: { stdout: 1, stderr: 1 },
      exitCode: 3,
    });
    const { sdk } = await loadS3Sdk();
    const client = new sdk.S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const head = await client.send(
      new sdk.HeadObjectCommand({ Bucket: bucket, Key: 'root/F/1/s/2/0.stdout.log' }),
    );
    client.destroy();
    assert.equal(head.ServerSideEncryption, 'AES256');
  });

  it('the inline script tees the task output, saves it while running, and on SIGTERM stops the task, saves and exits 143', async (t) => {
    if (!awsEndpoint(t) || !endpoint) return;
    const bundle = `console.log('started ' + process.argv[3]);
      console.error('to stderr');
      setInterval(() => {}, 1000);`;
    const archive = gzipSync(writeTar([{ name: 'bundle.mjs', data: Buffer.from(bundle) }]));
    const sha = createHash('sha256').update(archive).digest('hex');
    await storage.put('F/data/pk/pkg', Buffer.concat([Buffer.from([0]), archive]));
    const dir = await mkdtemp(path.join(tmpdir(), 'stepflow-boot-logs-'));
    try {
      const child = spawn(process.execPath, ['-e', BOOTSTRAP_SCRIPT, 'step', '{"flowName":"F"}'], {
        env: {
          PATH: process.env.PATH,
          ...env(),
          METAFLOW_TEMPDIR: dir,
          [BOOTSTRAP_ENV.url]: `s3://${bucket}/root/F/data/pk/pkg`,
          [BOOTSTRAP_ENV.sha]: sha,
          [BOOTSTRAP_ENV.logs]: `s3://${bucket}/root/F/1/s/3/0.`,
        },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
      });
      child.stderr.on('data', (d: Buffer) => {
        err += d;
      });
      const exited = new Promise<number | null>((r) => child.on('close', r));
      await until(
        async () => /started/.test(String(await storage.get('F/1/s/3/0.stdout.log'))),
        'the line is in the datastore while the task runs',
      );
      assert.equal(await storage.get('F/1/s/3/0.logs.json'), undefined);
      child.kill('SIGTERM');
      assert.equal(await exited, 143, err);
      assert.equal(out, 'started {"flowName":"F"}\n', 'teed to the container stdout');
      assert.match(err, /to stderr/);
      assert.equal(String(await storage.get('F/1/s/3/0.stderr.log')), 'to stderr\n');
      assert.deepEqual(JSON.parse(String(await storage.get('F/1/s/3/0.logs.json'))), {
        stdout: 25,
        stderr: 10,
        segments: { stdout: 1, stderr: 1 },
        exitCode: 143,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('saves a big log in segments written once (memory: one segment), read back in order by the tail', async (t) => {
    if (!awsEndpoint(t) || !endpoint) return;
    const saver = new LogSaver(`s3://${bucket}/root/F/1/s/4/0.`, env(), undefined, {
      segmentBytes: 1000,
      rewriteBytes: 100,
    });
    const lines = Array.from({ length: 500 }, (_, i) => `line ${String(i).padStart(4, '0')}\n`);
    for (const line of lines) saver.add('stdout', Buffer.from(line));
    const marker = await saver.close(0);
    const logged = lines.join('').length;
    assert.deepEqual(marker, { stdout: logged, stderr: 0, segments: { stdout: 5, stderr: 0 }, exitCode: 0 });
    assert.ok(
      saver.bytesWritten < logged + 200,
      `each byte written about once (${saver.bytesWritten} for ${logged})`,
    );
    for (let n = 0; n < 5; n++) {
      const key = n === 0 ? 'F/1/s/4/0.stdout.log' : `F/1/s/4/0.stdout.${n}.log`;
      assert.equal((await storage.get(key))?.byteLength, 1000, key);
    }
    const got: string[] = [];
    const tail = new TaskLogTail({ storage, prefix: 'F/1/s/4/0.', push: (_, l) => got.push(String(l)) });
    const end = await tail.finish();
    assert.equal(end.complete, true);
    assert.deepEqual(got, lines);
  });

  it('a PUT refused every time (503 from the fault-injecting stand-in) is a warning in the marker, never a throw', async (t) => {
    if (!awsEndpoint(t) || !endpoint) return;
    const proxy = await startS3FaultProxy({ target: endpoint });
    try {
      proxy.decide = (req) =>
        req.method === 'PUT' && /0\.stderr\.log/.test(req.url ?? '') ? 'slowDown' : 'pass';
      const saver = new LogSaver(
        `s3://${bucket}/root/F/1/s/5/0.`,
        { ...env(), METAFLOW_S3_ENDPOINT_URL: proxy.url },
        undefined,
        { retries: 2, baseDelayMs: 10 },
      );
      saver.add('stdout', Buffer.from('kept\n'));
      saver.add('stderr', Buffer.from('lost\n'));
      const marker = await saver.close(0);
      assert.equal(proxy.count('PUT', '0.stderr.log'), 3, 'tried three times');
      assert.equal(String(await storage.get('F/1/s/5/0.stdout.log')), 'kept\n');
      const stored = JSON.parse(String(await storage.get('F/1/s/5/0.logs.json'))) as LogMarker;
      assert.deepEqual(stored, marker);
      assert.equal(stored.stderr, 0);
      assert.match(
        (stored.warnings ?? []).join('\n'),
        /could not save stderr bytes 0–5 \(stderr\.log\): .*503.*\(after 3 tries\)/,
      );
    } finally {
      await proxy.close();
    }
  });
});
