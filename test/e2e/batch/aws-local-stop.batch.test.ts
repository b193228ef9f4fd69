/**
 * `npm run aws:local` as a user runs it: it starts, prints what to export, and on Ctrl-C says what it
 * stops and, last, that it has stopped (issue 12.9). It reuses the Docker daemon, the image and the
 * credentials endpoint of the stand-in the test runner started, and starts its own moto.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { batchEnv } from '../../support/batch.js';
import { REPO } from '../helpers.js';

describe('npm run aws:local', () => {
  it('says what it stops on Ctrl-C, and last that it has stopped', async (t) => {
    if (!batchEnv(t)) return;
    const logDir = await mkdtemp(join(tmpdir(), 'stepflow-aws-local-stop-'));
    t.after(() => rm(logDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, [join(REPO, 'scripts', 'aws-local.mjs')], {
      cwd: REPO,
      env: { ...process.env, STEPFLOW_AWS_LOCAL_LOG_DIR: logDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    let ready = () => {};
    const check = () => {
      if (stderr.includes('running until Ctrl-C') && stdout.includes('METAFLOW_BATCH_JOB_QUEUE')) ready();
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      check();
    });
    const ended = new Promise<string>((resolve) =>
      child.once('close', (code, signal) => resolve(`exit code ${code}, signal ${signal}`)),
    );
    await new Promise<void>((resolve, reject) => {
      ready = resolve;
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        check();
      });
      child.once('close', () => reject(new Error(`aws:local ended before it was ready:\n${stderr}`)));
    });
    assert.match(stdout, /^export METAFLOW_BATCH_JOB_QUEUE=/m);
    child.kill('SIGINT');
    assert.equal(await ended, 'exit code 0, signal null', stderr);
    const lines = stderr.trimEnd().split('\n');
    assert.match(stderr, /aws:local: SIGINT: stopping moto \(pid \d+\), .*the credentials endpoint\.\.\.\n/);
    assert.match(lines.at(-1) ?? '', /^aws:local: stopped: everything it started has ended\./, stderr);
  });
});
