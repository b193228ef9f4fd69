import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeExit, formatDuration, hostNodeEnv, runCommand } from './proc.mjs';

describe('proc', () => {
  it('runCommand captures output and the exit code', async () => {
    const r = await runCommand(process.execPath, ['-e', 'console.log("hi"); process.exit(3)'], {
      stdio: 'capture',
    });
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'hi\n');
    assert.equal(describeExit(r), 'exit code 3');
  });

  it('runCommand kills the whole process group on timeout', async () => {
    const started = performance.now();
    const r = await runCommand('sh', ['-c', 'sleep 30 & sleep 30'], { stdio: 'capture', timeoutMs: 300 });
    assert.equal(r.timedOut, true);
    assert.ok(performance.now() - started < 10_000);
    assert.match(describeExit(r, 300), /timed out after 300 ms/);
  });

  it('formatDuration and hostNodeEnv', () => {
    assert.equal(formatDuration(850), '850 ms');
    assert.equal(formatDuration(12_345), '12.3 s');
    assert.equal(formatDuration(245_000), '4 min 05 s');
    assert.ok(hostNodeEnv().PATH.startsWith(process.execPath.replace(/\/node$/, '')));
  });
});
