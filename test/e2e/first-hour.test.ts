/**
 * What a new user meets in the first hour (issue 12), as the user meets it: the CLI's output and exit code.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CliResult, runFlow, type Workspace, workspace } from './helpers.js';

let ws: Workspace;
before(async () => {
  ws = await workspace();
});
after(async () => {
  await ws.cleanup();
});

const output = (r: CliResult) => r.stdout + r.stderr;

describe('a retry says when its next attempt starts (12.1)', () => {
  it('names the wait, where it comes from, and numbers attempts "n of max"', async () => {
    // 0.02 min = 1.2 s: long enough to be announced, short enough for a test.
    const r = await runFlow(ws, 'flaky-flow.ts', ['--with', 'retry:times=2,minutes_between_retries=0.02']);
    assert.equal(r.code, 0, output(r));
    assert.match(
      r.stderr,
      /\[FlakyFlow\/\d+\/start\/1\] failed after [\d.]+s \(attempt 1 of 3\): Error: first attempt fails on purpose — retrying in 1 s \(@retry\(minutesBetweenRetries: 0\.02\)\), at \d\d:\d\d:\d\d\n/,
    );
    assert.match(r.stdout, /\[FlakyFlow\/\d+\/start\/1\] started \(attempt 2 of 3\)\n/);
    assert.doesNotMatch(output(r), /\(retry \d\)|— retrying\n/);
  });
});
