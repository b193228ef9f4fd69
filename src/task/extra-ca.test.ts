import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { extraCertificates, installLazyExtraCa, LAZY_CA_ENV } from './extra-ca.js';

const MODULE = fileURLToPath(new URL('./extra-ca.ts', import.meta.url));
let dir: string;
let caFile: string;
let server: https.Server;
let port: number;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stepflow-extra-ca-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=stepflow test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  await writeFile(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );
  caFile = path.join(dir, 'ca.pem');
  server = https.createServer(
    { key: readFileSync(path.join(dir, 'server.key')), cert: readFileSync(path.join(dir, 'server.pem')) },
    (_req, res) => res.end('hello'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('extra-ca', () => {
  it('extraCertificates skips certificates Node already trusts and keeps new ones', async () => {
    const ours = readFileSync(caFile, 'utf8').trim();
    // The same root with different line wrapping is still recognized.
    const known = tls.rootCertificates[0].replace(/\n/g, '\r\n');
    const bundle = path.join(dir, 'bundle.pem');
    await writeFile(bundle, `${known}\n# comment\n${ours}\n${tls.rootCertificates[1]}\n`);
    assert.deepEqual(extraCertificates(bundle), [ours]);
    const onlyKnown = path.join(dir, 'known.pem');
    await writeFile(onlyKnown, tls.rootCertificates.slice(0, 5).join('\n'));
    assert.deepEqual(extraCertificates(onlyKnown), []);
  });

  it('extraCertificates warns and returns nothing for a missing file', async () => {
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    assert.deepEqual(extraCertificates(path.join(dir, 'missing.pem')), []);
    assert.match((await warned).message, /Ignoring extra CA certificates file .*missing\.pem/);
  });

  it('installLazyExtraCa does nothing without the variable (the child test below covers the rest)', () => {
    const env: NodeJS.ProcessEnv = {};
    const original = tls.createSecureContext;
    installLazyExtraCa(env);
    assert.equal(tls.createSecureContext, original);
    assert.deepEqual(env, {});
  });

  /** Runs `https.get` to the local server in a child process (fresh TLS state), optionally installing first. */
  function fetchInChild(install: boolean): Promise<{ code: number | null; out: string }> {
    const script = `
    const https = await import('node:https');
    if (process.argv[1] === 'install') {
      const { installLazyExtraCa } = await import(${JSON.stringify(MODULE)});
      installLazyExtraCa();
      if (process.env.${LAZY_CA_ENV} !== undefined || process.env.NODE_EXTRA_CA_CERTS !== ${JSON.stringify(caFile)}) {
        throw new Error('environment not restored');
      }
    }
    https.get('https://localhost:${port}/', { family: 4 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => console.log('ok ' + res.statusCode + ' ' + body));
    }).on('error', (err) => {
      console.log('error ' + err.code);
      process.exitCode = 3;
    });`;
    const env: NodeJS.ProcessEnv = { ...process.env, [LAZY_CA_ENV]: caFile };
    delete env.NODE_EXTRA_CA_CERTS;
    const args = ['--import', 'tsx', '--input-type=module', '-e', script, install ? 'install' : 'skip'];
    return new Promise((resolve) => {
      execFile(process.execPath, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({
          code: err ? ((err as { code?: number }).code ?? -1) : 0,
          out: `${stdout}${stderr}`.trim(),
        });
      });
    });
  }

  it('end to end on loopback: the lazy CA makes a TLS request to a privately signed server succeed', async () => {
    const [withCa, withoutCa] = await Promise.all([fetchInChild(true), fetchInChild(false)]);
    assert.equal(withCa.out, 'ok 200 hello');
    assert.equal(withCa.code, 0);
    assert.match(
      withoutCa.out,
      /^error (UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/,
    );
    assert.equal(withoutCa.code, 3);
  });
});
