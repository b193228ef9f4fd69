import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ownJobContainers } from './node-image.mjs';

const line = (id, created, env) => `${id} ${created} ${JSON.stringify(env)}`;

describe('node-image', () => {
  it("a stand-in's clean-up picks only the job containers of its own moto, created since it started", () => {
    const out = [
      line('mine', '2026-12-03T12:40:00.5Z', ['PATH=/usr/bin', 'MOTO_PORT=43209', 'X=a b']),
      line('other-moto', '2026-12-03T12:41:00Z', ['MOTO_PORT=35089']),
      line('no-port', '2026-12-03T12:41:00Z', ['PATH=/usr/bin']),
      line('older', '2026-12-03T12:00:00Z', ['MOTO_PORT=43209']),
      '',
    ].join('\n');
    const since = Date.parse('2026-12-03T12:40:00Z');
    assert.deepEqual(ownJobContainers(out, { since, motoPort: 43209 }), ['mine']);
    // Without a moto port (a daemon started by the stand-in itself): every job container since then.
    assert.deepEqual(ownJobContainers(out, { since }), ['mine', 'other-moto', 'no-port']);
    assert.deepEqual(ownJobContainers(out), ['mine', 'other-moto', 'no-port', 'older']);
  });
});
