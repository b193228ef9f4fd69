/**
 * s3-tool: the S3 data tool (`S3` from stepflow) against the AWS CLI on the same moto server and the
 * same data: `putMany`/`getRecursive` of 1,000 objects of 1 MiB beside `aws s3 cp --recursive`, and
 * `putFiles`/`get` of one 1 GiB object beside `aws s3 cp`. The small-object phases run three times,
 * in alternating order, and keep each tool's best. Both sides run as a fresh process, so both
 * figures include start-up (Node + SDK load, Python + botocore load); the in-process time of the
 * tool's call is logged too. moto's CPU use per phase is logged: ~100% of one core means moto (a
 * single Python process) is the bottleneck, not the client.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { hostNodeEnv, runCommand } from '../scripts/lib/proc.mjs';
import { mbPerSecond, tail } from './lib/measure.mjs';
import { createBucket, s3Env, startBenchMoto } from './lib/moto-s3.mjs';

/** The benchmark's name (`npm run bench -- s3-tool`). */
export const name = 's3-tool';

/** Where it comes in a full run (it is slow: about 4 GiB through moto). */
export const order = 60;

/** One line on what it measures. */
export const description =
  'S3 tool vs `aws s3 cp` on moto: 1,000 × 1 MiB putMany/getMany, 1 GiB put/get (MB/s, process wall time)';

const MiB = 1024 * 1024;
const SMALL_COUNT = 1000;
const SMALL_BYTES = MiB;
const BIG_BYTES = 1024 * MiB;
const TIMEOUT_MS = 15 * 60_000;
/** Rounds of the small-object phases (best kept). */
const ROUNDS = 3;

/**
 * Make the data, start moto, time the four transfers of each tool, stop moto.
 *
 * @example
 * ```js
 * const rows = await run(ctx);
 * ```
 */
export async function run(ctx) {
  ctx.checkCli();
  const aws = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  if (aws.status !== 0)
    throw new Error('the AWS CLI (`aws`) is not on PATH; it is the baseline of this benchmark');
  ctx.log(`baseline: ${(aws.stdout || aws.stderr).trim()}`);

  const work = ctx.tempDir();
  const many = path.join(work, 'many');
  const bigFile = path.join(work, 'big.bin');
  makeData(many, bigFile);
  const moto = await startBenchMoto(ctx, { logDir: path.join(work, 'moto-logs') });
  try {
    const env = hostNodeEnv({
      ...s3Env(moto.url),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    const bucket = 'stepflow-bench';
    await createBucket(moto.url, bucket);
    const phase = makePhase(ctx, moto.pid, env);
    const cli = (args) => ['aws', ['--endpoint-url', moto.url, 's3', 'cp', '--only-show-errors', ...args]];
    const tool = (op, extra) => [
      ctx.node,
      ['--input-type=module', '-e', TOOL_SCRIPT, op, bucket, pathToFileURL(ctx.root).href, extra],
    ];
    const out = (label) => fs.mkdtempSync(path.join(work, `${label}-`));
    const total = SMALL_COUNT * SMALL_BYTES;

    // The small-object phases are short and the machine is shared: ROUNDS rounds in alternating
    // order, the best of each tool kept.
    const best = { cliPut: 0, put: 0, cliGet: 0, get: 0 };
    const keep = (name, rate) => {
      best[name] = Math.max(best[name], rate);
    };
    const getInto = (label, command, dir) =>
      phase(label, total, ...command).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
    const phases = {
      cliPut: () =>
        phase(
          'aws s3 cp --recursive (put)',
          total,
          ...cli(['--recursive', many, `s3://${bucket}/cli/many/`]),
        ),
      put: () => phase('S3.putMany', total, ...tool('putMany', many)),
      cliGet: (dir = out('cli-many')) =>
        getInto('aws s3 cp --recursive (get)', cli(['--recursive', `s3://${bucket}/cli/many/`, dir]), dir),
      get: (dir = out('tool-many')) => getInto('S3.getRecursive', tool('getMany', dir), dir),
    };
    const orders = [
      ['cliPut', 'put', 'get', 'cliGet'],
      ['put', 'cliPut', 'cliGet', 'get'],
    ];
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of orders[round % 2]) keep(name, await phases[name]());
    }
    fs.rmSync(many, { recursive: true, force: true });

    const cliPutBig = await phase(
      'aws s3 cp (put 1 GiB)',
      BIG_BYTES,
      ...cli([bigFile, `s3://${bucket}/cli/big.bin`]),
    );
    const putBig = await phase('S3.putFiles (1 GiB)', BIG_BYTES, ...tool('putBig', bigFile));
    const getBig = await phase('S3.get (1 GiB)', BIG_BYTES, ...tool('getBig', out('tool-big')));
    const cliGetBig = await phase(
      'aws s3 cp (get 1 GiB)',
      BIG_BYTES,
      ...cli([`s3://${bucket}/cli/big.bin`, path.join(out('cli-big'), 'big.bin')]),
    );

    const row = (metric, mine, theirs, label) => ({
      metric,
      value: mine,
      unit: 'MB/s',
      baseline: { label, value: theirs },
      target: { min: Math.round(theirs * 10) / 10 },
    });
    return [
      row('putMany 1,000 × 1 MiB (best of 3)', best.put, best.cliPut, 'aws s3 cp --recursive'),
      row('getMany 1,000 × 1 MiB (best of 3)', best.get, best.cliGet, 'aws s3 cp --recursive'),
      row('put 1 GiB', putBig, cliPutBig, 'aws s3 cp'),
      row('get 1 GiB', getBig, cliGetBig, 'aws s3 cp'),
    ];
  } finally {
    await moto.stop();
  }
}

/** 1,000 random 1 MiB files, and a 1 GiB file made of a random 16 MiB block. */
function makeData(dir, bigFile) {
  fs.mkdirSync(dir, { recursive: true });
  const buf = Buffer.alloc(SMALL_BYTES);
  for (let i = 0; i < SMALL_COUNT; i++) {
    fs.writeFileSync(path.join(dir, `part-${String(i).padStart(4, '0')}.bin`), randomFillSync(buf));
  }
  const block = randomFillSync(Buffer.alloc(16 * MiB));
  const fd = fs.openSync(bigFile, 'w');
  try {
    for (let at = 0; at < BIG_BYTES; at += block.length) fs.writeSync(fd, block, 0, block.length, at);
  } finally {
    fs.closeSync(fd);
  }
}

/** Runs one command, logs its wall time, MB/s and moto's CPU use; returns MB/s. */
function makePhase(ctx, motoPid, env) {
  return async (label, bytes, command, args) => {
    const cpuBefore = cpuSeconds(motoPid);
    const r = await runCommand(command, args, { env, stdio: 'capture', timeoutMs: TIMEOUT_MS });
    if (r.code !== 0) throw new Error(`${label} failed (code ${r.code}): ${tail(r.stderr || r.stdout)}`);
    const rate = mbPerSecond(bytes, r.durationMs);
    const motoCpu = cpuSeconds(motoPid) - cpuBefore;
    const inner = r.stdout.match(/opMs=(\d+)/);
    ctx.log(
      `${label.padEnd(30)} ${(r.durationMs / 1000).toFixed(1).padStart(5)} s  ${rate.toFixed(0).padStart(4)} MB/s` +
        `  moto CPU ${((100 * motoCpu) / (r.durationMs / 1000)).toFixed(0)}%` +
        (inner ? `  (call itself ${(Number(inner[1]) / 1000).toFixed(1)} s)` : ''),
    );
    return rate;
  };
}

/** User + system CPU seconds of a process (Linux /proc), or NaN elsewhere. */
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** The tool's side of each phase, run as `node -e` with `op bucket repoUrl arg`. */
const TOOL_SCRIPT = `
import fs from 'node:fs/promises';
import path from 'node:path';
const [op, bucket, repo, arg] = process.argv.slice(1);
const { S3 } = await import(new URL('dist/index.js', repo + '/').href);
const started = performance.now();
let check = 0;
const tool = (tmproot) => new S3({ s3root: 's3://' + bucket + '/tool', tmproot });
if (op === 'putMany') {
  const names = (await fs.readdir(arg)).sort();
  const items = await Promise.all(names.map(async (n) => ({ key: 'many/' + n, value: await fs.readFile(path.join(arg, n)) })));
  const s3 = tool();
  check = (await s3.putMany(items)).length;
  await s3.close();
} else if (op === 'getMany') {
  const s3 = tool(arg);
  check = (await s3.getRecursive(['many/'])).length;
  await s3.close();
} else if (op === 'putBig') {
  const s3 = tool();
  check = (await s3.putFiles([{ key: 'big.bin', path: arg }])).length;
  await s3.close();
} else if (op === 'getBig') {
  const s3 = tool(arg);
  check = (await s3.get('big.bin')).size;
  await s3.close();
}
console.log('opMs=' + Math.round(performance.now() - started) + ' check=' + check);
`;
