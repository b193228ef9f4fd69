import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  credentialsDocument,
  probeCredsServer,
  startCredsServer,
  TEST_JOB_CREDENTIALS,
} from './creds-server.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('creds-server', () => {
  it('serves ECS-format test credentials on loopback, and nothing else', async (t) => {
    const creds = await startCredsServer({ port: 0 });
    t.after(() => creds.stop());
    assert.match(creds.url, /^http:\/\/127\.0\.0\.1:\d+\/creds$/);
    assert.equal(creds.shared, false);
    const doc = await (await fetch(creds.url)).json();
    assert.equal(doc.AccessKeyId, TEST_JOB_CREDENTIALS.AccessKeyId);
    assert.equal(doc.SecretAccessKey, TEST_JOB_CREDENTIALS.SecretAccessKey);
    assert.equal(doc.Token, TEST_JOB_CREDENTIALS.Token);
    assert.ok(Date.parse(doc.Expiration) > Date.now() + 30 * 60_000, 'valid for a while');
    assert.equal((await fetch(creds.url.replace('/creds', '/other'))).status, 404);
    assert.equal((await fetch(creds.url, { method: 'POST' })).status, 404);
    assert.equal(await probeCredsServer(creds.url), true);
  });

  it('credentialsDocument expires an hour after now', () => {
    assert.equal(credentialsDocument(0).Expiration, '1970-01-01T01:00:00.000Z');
  });

  it('shares a running stepflow endpoint on the same port, and rejects a foreign program', async (t) => {
    const first = await startCredsServer({ port: 0 });
    t.after(() => first.stop());
    const second = await startCredsServer({ port: first.port });
    assert.equal(second.shared, true);
    await second.stop(); // leaves the first one alone
    assert.equal(await probeCredsServer(first.url), true);

    const foreign = http.createServer((_req, res) => res.end('{}'));
    await new Promise((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    t.after(() => foreign.close());
    await assert.rejects(startCredsServer({ port: foreign.address().port }), { code: 'EADDRINUSE' });
  });

  it("a stand-in sharing another's endpoint takes the port over when that one stops first (its jobs keep their credentials)", async (t) => {
    const owner = await startCredsServer({ port: 0 });
    const sharer = await startCredsServer({ port: owner.port });
    t.after(() => Promise.all([owner.stop(), sharer.stop()]));
    assert.equal(sharer.shared, true);
    await owner.stop();
    let served = false;
    for (let i = 0; i < 100 && !served; i++) {
      await new Promise((r) => setTimeout(r, 100));
      served = await probeCredsServer(sharer.url);
    }
    assert.equal(served, true, 'the port is served again after its owner stopped');
    const doc = await (await fetch(sharer.url)).json();
    assert.equal(doc.AccessKeyId, TEST_JOB_CREDENTIALS.AccessKeyId);
    await sharer.stop();
    assert.equal(await probeCredsServer(sharer.url), false, 'stop() ends what it took over');
  });

  it("the AWS SDK's default provider chain finds the credentials through AWS_CONTAINER_CREDENTIALS_FULL_URI", async (t) => {
    const creds = await startCredsServer({ port: 0 });
    t.after(() => creds.stop());
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
    Object.assign(env, {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: creds.url,
      AWS_SHARED_CREDENTIALS_FILE: path.join(ROOT, 'no-such-credentials-file'),
      AWS_CONFIG_FILE: path.join(ROOT, 'no-such-config-file'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
    });
    const script =
      "import { S3Client } from '@aws-sdk/client-s3';" +
      'const c = await new S3Client({}).config.credentials();' +
      'console.log(JSON.stringify({ id: c.accessKeyId, token: c.sessionToken, exp: c.expiration }));';
    const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
      cwd: ROOT,
      env,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0, err);
    const got = JSON.parse(out);
    assert.equal(got.id, TEST_JOB_CREDENTIALS.AccessKeyId);
    assert.equal(got.token, TEST_JOB_CREDENTIALS.Token);
    assert.ok(Date.parse(got.exp) > Date.now());
  });
});
