/**
 * The README's "`@batch` without AWS" commands, run as written against the local stand-in with the
 * settings `npm run aws:local` prints (moto + dockerd + the node-only image): what the README shows works.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Flow, setDatastore } from '../../../src/client/index.js';
import { type BatchTestEnv, batchCliEnv, batchEnv } from '../../support/batch.js';
import { REPO, runCli } from '../helpers.js';

/** The `npx stepflow ...` lines of the README section that shows `@batch` against the stand-in. */
function readmeCommands(): string[][] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('`@batch` without AWS'));
  assert.ok(section, 'the README has a "`@batch` without AWS" section');
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  assert.match(block, /npm run aws:local/);
  return block
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line.startsWith('npx stepflow '))
    .map((line) => line.split(/\s+/).slice(2));
}

/** What `npm run aws:local` prints to export (scripts/aws-local.mjs), with this test's own root. */
function exported(e: BatchTestEnv, root: string): NodeJS.ProcessEnv {
  return batchCliEnv(e, { METAFLOW_DEFAULT_DATASTORE: 's3', METAFLOW_DATASTORE_SYSROOT_S3: root });
}

describe('the README: @batch without AWS', () => {
  it('runs every `npx stepflow` command of the section as written, and the example keeps its scratch in the tmpfs', async (t) => {
    const e = batchEnv(t);
    if (!e) return;
    const commands = readmeCommands();
    assert.ok(commands.length >= 2, 'the section shows at least two runs');
    const root = `s3://${e.bucket}/readme-${Date.now()}`;
    const env = exported(e, root);
    let exampleRun = '';
    for (const args of commands) {
      const r = await runCli(args, { cwd: REPO, env });
      assert.equal(r.code, 0, `npx stepflow ${args.join(' ')}\n${r.stdout}${r.stderr}`);
      if (args.includes('--with')) {
        // Every step on Batch, none with an IAM role: the notice is said once for the run, not per step.
        const notices = r.stderr.match(/no IAM role/g) ?? [];
        assert.equal(notices.length, 1, r.stderr);
        assert.match(r.stderr, /@batch on steps start, .* of HelloFlow: no IAM role/);
      }
      if (args.includes('examples/batch-flow.ts'))
        exampleRun = (r.stdout.split('\n')[0] ?? '').split('/')[1] ?? '';
    }
    assert.ok(exampleRun, 'the section runs examples/batch-flow.ts');
    const saved = { ...process.env };
    Object.assign(process.env, env);
    setDatastore({ kind: 's3', root });
    try {
      const run = await new Flow('BatchFlow', { namespace: null }).run(exampleRun);
      assert.equal(run.status, 'successful');
      const prepare = await (await run.step('prepare')).task();
      // tmpfsTempdir (default true): current.tempdir is under the tmpfs path (moto mounts no tmpfs, so the
      // task makes the folder; on AWS it is the mount).
      const { tempdir, downloadedTo } = await prepare.data(['tempdir', 'downloadedTo']);
      assert.match(String(tempdir), /^\/metaflow_temp\/stepflow-task-/);
      // The S3 data tool works inside the job (its SDK from the code package, its root passed on) and
      // downloads into the tmpfs.
      assert.match(String(downloadedTo), /^\/metaflow_temp\//);
      const join = await (await run.step('join')).task();
      assert.deepEqual((await join.data(['squares'])).squares, [1, 4, 9]);
    } finally {
      setDatastore(undefined);
      process.env = saved;
    }
  });
});
