import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { writeTar } from '../../../package/tar.js';
import { buildBootstrapScript, unpackLoader } from './build-script.js';
import { ECS_CREDENTIALS_HOST, type Fetch, resolveCredentials } from './credentials.js';
import { BOOTSTRAP_ENV, SDK_BUNDLE_FILE, unpackStored } from './main.js';
import { BOOTSTRAP_SCRIPT } from './script.js';
import { s3ObjectUrl, signRequest } from './sigv4.js';
import { readUstar } from './ustar.js';

function fakeFetch(routes: Record<string, { status?: number; body: string }>, seen: unknown[] = []): Fetch {
  return async (url, init) => {
    seen.push({ url, ...init });
    const route = routes[url];
    return {
      ok: (route?.status ?? (route ? 200 : 404)) < 300,
      status: route?.status ?? (route ? 200 : 404),
      text: async () => route?.body ?? 'not found',
    };
  };
}

function storedPackage(files: { name: string; data: Uint8Array }[]): { blob: Buffer; sha: string } {
  const archive = gzipSync(writeTar(files));
  return {
    blob: Buffer.concat([Buffer.from([0]), archive]),
    sha: createHash('sha256').update(archive).digest('hex'),
  };
}

describe('bootstrap: SigV4', () => {
  it('matches the AWS S3 GET Object test vector', () => {
    const headers = signRequest({
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
      region: 'us-east-1',
      service: 's3',
      credentials: {
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
      headers: { range: 'bytes=0-9' },
      date: new Date('2013-05-24T00:00:00Z'),
    });
    assert.equal(
      headers.authorization,
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    assert.equal(headers['x-amz-date'], '20130524T000000Z');
    assert.equal(headers.host, undefined, 'fetch sets host itself');
  });

  it('signs the session token of temporary credentials', () => {
    const headers = signRequest({
      method: 'GET',
      url: new URL('http://127.0.0.1:5000/b/k'),
      region: 'us-east-1',
      service: 's3',
      credentials: { accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'TOKEN' },
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    assert.equal(headers['x-amz-security-token'], 'TOKEN');
    assert.match(
      headers.authorization ?? '',
      /SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,/,
    );
  });

  it('addresses objects path-style under an endpoint, virtual-hosted otherwise', () => {
    assert.equal(
      s3ObjectUrl('b', 'F/data/ab/x', 'eu-west-1', 'http://127.0.0.1:9/').href,
      'http://127.0.0.1:9/b/F/data/ab/x',
    );
    assert.equal(s3ObjectUrl('b', 'F/a b', 'eu-west-1').href, 'https://b.s3.eu-west-1.amazonaws.com/F/a%20b');
  });
});

describe('bootstrap: tar and package', () => {
  it('reads what the package tar writer writes, prefix-less and long', () => {
    const big = Buffer.alloc(70_000, 7);
    const files = readUstar(
      writeTar([
        { name: 'bundle.mjs', data: Buffer.from('console.log(1)') },
        { name: 'empty', data: Buffer.alloc(0) },
        { name: 'big.bin', data: big },
      ]),
    );
    assert.deepEqual([...files.keys()].sort(), ['big.bin', 'bundle.mjs', 'empty']);
    assert.equal(files.get('bundle.mjs')?.toString(), 'console.log(1)');
    assert.equal(files.get('empty')?.length, 0);
    assert.ok(files.get('big.bin')?.equals(big));
  });

  it('checks the header byte and the sha256', () => {
    const { blob, sha } = storedPackage([{ name: 'bundle.mjs', data: Buffer.from('x') }]);
    assert.equal(unpackStored(blob, sha).get('bundle.mjs')?.toString(), 'x');
    assert.throws(() => unpackStored(blob, '0'.repeat(64)), /sha256 is [0-9a-f]{64}, expected 0{64}/);
    const bad = Buffer.from(blob);
    bad[0] = 9;
    assert.throws(() => unpackStored(bad, sha), /header byte 9/);
  });
});

describe('bootstrap: credentials', () => {
  it('takes AWS_* variables first', async () => {
    const creds = await resolveCredentials(
      { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' },
      fakeFetch({}),
    );
    assert.deepEqual(creds, { accessKeyId: 'a', secretAccessKey: 's', sessionToken: undefined });
  });

  it('uses the full container URI with its authorization token', async () => {
    const seen: { headers?: Record<string, string> }[] = [];
    const creds = await resolveCredentials(
      {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1/creds',
        AWS_CONTAINER_AUTHORIZATION_TOKEN: 'tok',
      },
      fakeFetch(
        { 'http://127.0.0.1:1/creds': { body: '{"AccessKeyId":"A","SecretAccessKey":"S","Token":"T"}' } },
        seen,
      ),
    );
    assert.deepEqual(creds, { accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'T' });
    assert.equal(seen[0]?.headers?.authorization, 'tok');
  });

  it('uses the relative URI on the ECS host, and a token file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'stepflow-boot-'));
    try {
      await writeFile(path.join(dir, 'token'), 'file-token\n');
      const seen: { headers?: Record<string, string> }[] = [];
      const creds = await resolveCredentials(
        {
          AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/creds/x',
          AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: path.join(dir, 'token'),
        },
        fakeFetch(
          { [`${ECS_CREDENTIALS_HOST}/v2/creds/x`]: { body: '{"AccessKeyId":"A","SecretAccessKey":"S"}' } },
          seen,
        ),
      );
      assert.equal(creds.accessKeyId, 'A');
      assert.equal(seen[0]?.headers?.authorization, 'file-token');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('falls back to IMDSv2 (the instance role), and says so when there is none', async () => {
    const base = 'http://169.254.169.254/latest';
    const creds = await resolveCredentials(
      {},
      fakeFetch({
        [`${base}/api/token`]: { body: 'imds-token' },
        [`${base}/meta-data/iam/security-credentials/`]: { body: 'role-a\n' },
        [`${base}/meta-data/iam/security-credentials/role-a`]: {
          body: '{"AccessKeyId":"I","SecretAccessKey":"S","Token":"T"}',
        },
      }),
    );
    assert.equal(creds.accessKeyId, 'I');
    await assert.rejects(resolveCredentials({}, fakeFetch({})), /no credentials/);
  });
});

describe('bootstrap: the inline script', () => {
  it('is up to date with its sources (regenerate: node --import tsx src/plugins/batch/bootstrap/build-script.ts)', async () => {
    assert.equal(unpackLoader(BOOTSTRAP_SCRIPT), await buildBootstrapScript());
    // It travels in every SubmitJob (30 KiB in all, checked by spec/request-size.ts): at most 10 KiB (deflated and
    // base64-encoded) leaves the rest for the environment and the task spec.
    assert.ok(BOOTSTRAP_SCRIPT.length < 10 * 1024, `${BOOTSTRAP_SCRIPT.length} bytes`);
  });

  it('downloads a package with a signed GET, checks it, and runs the bundle with its SDK path and exit code', async () => {
    const bundle = `import { existsSync } from 'node:fs';
      console.log(JSON.stringify({ args: process.argv.slice(2), sdk: existsSync(process.env.STEPFLOW_S3_SDK_PATH ?? '') }));
      process.exit(3);`;
    const { blob, sha } = storedPackage([
      { name: 'bundle.mjs', data: Buffer.from(bundle) },
      { name: SDK_BUNDLE_FILE, data: Buffer.from('module.exports = {}') },
    ]);
    const requests: { url?: string; auth?: string }[] = [];
    const server = createServer((req, res) => {
      requests.push({ url: req.url, auth: req.headers.authorization });
      if (req.url === '/creds') return res.end('{"AccessKeyId":"AK","SecretAccessKey":"SK","Token":"TK"}');
      if (req.url === '/bucket/runs/F/data/ab/pkg') return res.end(blob);
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = await mkdtemp(path.join(tmpdir(), 'stepflow-boot-'));
    try {
      const env = {
        PATH: process.env.PATH,
        METAFLOW_S3_ENDPOINT_URL: endpoint,
        METAFLOW_TEMPDIR: dir,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint}/creds`,
        [BOOTSTRAP_ENV.url]: 's3://bucket/runs/F/data/ab/pkg',
        [BOOTSTRAP_ENV.sha]: sha,
      };
      const child = spawn(process.execPath, ['-e', BOOTSTRAP_SCRIPT, 'step', '{"flowName":"F"}'], { env });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
      });
      child.stderr.on('data', (d: Buffer) => {
        out += d;
      });
      const code = await new Promise<number | null>((r) => child.on('close', r));
      assert.equal(code, 3, out);
      assert.deepEqual(JSON.parse(out.trim()), { args: ['step', '{"flowName":"F"}'], sdk: true });
      const get = requests.find((r) => r.url?.startsWith('/bucket/'));
      assert.match(get?.auth ?? '', /^AWS4-HMAC-SHA256 Credential=AK\/\d{8}\/us-east-1\/s3\/aws4_request/);
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
