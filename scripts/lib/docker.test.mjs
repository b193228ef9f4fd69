import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { assertSafeDockerdArgs, SAFE_DOCKERD_FLAGS } from './docker.mjs';

describe('docker', () => {
  it('dockerd may only start with the no-bridge, no-NAT flags', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docker-flags-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const none = path.join(dir, 'missing.json');
    const safe = (args) => assertSafeDockerdArgs(args, none);
    assert.doesNotThrow(() => safe([...SAFE_DOCKERD_FLAGS, '--data-root=/var/lib/docker']));
    assert.throws(() => safe([]), /refusing to start dockerd.*missing --bridge=none/);
    assert.throws(
      () => safe(SAFE_DOCKERD_FLAGS.filter((f) => f !== '--bridge=none')),
      /missing --bridge=none/,
    );
    assert.throws(() => safe([...SAFE_DOCKERD_FLAGS, '--bip=172.18.0.1/16']), /unsafe --bip/);
    assert.throws(() => safe([...SAFE_DOCKERD_FLAGS, '--iptables=true']), /unsafe --iptables=true/);

    const config = path.join(dir, 'daemon.json');
    fs.writeFileSync(config, JSON.stringify({ 'data-root': '/srv/docker' }));
    assert.doesNotThrow(() => assertSafeDockerdArgs([...SAFE_DOCKERD_FLAGS], config));
    fs.writeFileSync(config, JSON.stringify({ bip: '10.1.0.1/16' }));
    assert.throws(() => assertSafeDockerdArgs([...SAFE_DOCKERD_FLAGS], config), /daemon\.json sets bip/);
  });
});
