import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isLoopback, startUiServer, type UiServer } from './server.js';

let dir: string;
let server: UiServer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stepflow-ui-server-'));
  server = await startUiServer({ client: { datastore: dir } });
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ui server', () => {
  it('listens on loopback on a free port, without a token, and serves the page bundle', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(server.token, undefined);
    assert.deepEqual(await (await fetch(`${server.url}api/flows`)).json(), { flows: [] });
    const script = await fetch(`${server.url}static/page.js`);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.match(await script.text(), /api\/flows/);
  });

  it('fails with a clear error when the port is taken', async () => {
    await assert.rejects(startUiServer({ port: server.port, client: { datastore: dir } }), {
      name: 'UiListenError',
      message: new RegExp(`127\\.0\\.0\\.1:${server.port} .*Pick another --port`),
    });
  });

  it('treats only loopback addresses as needing no token', () => {
    assert.ok(isLoopback('127.0.0.1'));
    assert.ok(isLoopback('localhost'));
    assert.ok(isLoopback('::1'));
    assert.ok(!isLoopback('0.0.0.0'));
    assert.ok(!isLoopback('192.168.1.5'));
  });
});
