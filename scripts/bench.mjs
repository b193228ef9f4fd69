#!/usr/bin/env node
/**
 * `npm run bench [-- NAME ...]`: build, run the benchmarks in bench/*.bench.mjs, print a table of
 * figures and of ratios against a baseline measured in the same run (the machine is noisy: compare
 * ratios across runs, not raw figures), and write bench/results/latest.json (gitignored).
 *
 * A benchmark is a file `bench/<name>.bench.mjs` exporting `name`, `description`, optionally `order`
 * (a number; lower runs first), and `async run(ctx) → rows` (see scripts/lib/bench-context.mjs for ctx, scripts/lib/bench-report.mjs
 * for rows). Adding one is adding a file. A benchmark that throws is reported as an error and the
 * others still run; the exit code is then 1.
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createBenchContext } from './lib/bench-context.mjs';
import { finishRow, formatTable } from './lib/bench-report.mjs';
import { reexecOnHostNode } from './lib/host-node.mjs';
import { describeExit, formatDuration, hostNodeEnv, runCommand } from './lib/proc.mjs';

const SCRIPT = fileURLToPath(import.meta.url);
reexecOnHostNode(SCRIPT);

const ROOT = path.resolve(path.dirname(SCRIPT), '..');
const BENCH_DIR = path.join(ROOT, 'bench');
const RESULTS = path.join(BENCH_DIR, 'results', 'latest.json');
const USAGE = `usage: npm run bench [-- [--no-build] [--list] [NAME ...]]

  (no names)   run every benchmark in bench/*.bench.mjs
  NAME ...     run only these (e.g. \`npm run bench -- fan-out\`)
  --list       list the benchmarks
  --no-build   skip \`npm run build\`
  --width N    the width of the benchmarks that take one (ctx.options.width; e.g. batch-wide)`;

main().catch((err) => {
  process.stderr.write(`bench harness failed: ${err.stack ?? err}\n`);
  process.exit(1);
});

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const all = await loadBenchmarks();
  if (opts.list) {
    for (const b of all) process.stdout.write(`${b.name.padEnd(12)} ${b.description ?? ''}\n`);
    return;
  }
  const unknown = opts.names.filter((n) => !all.some((b) => b.name === n));
  if (unknown.length > 0) {
    usageError(`no benchmark named ${unknown.join(', ')}; there are: ${all.map((b) => b.name).join(', ')}`);
  }
  const chosen = opts.names.length > 0 ? all.filter((b) => opts.names.includes(b.name)) : all;
  process.stdout.write(
    `stepflow benchmarks — node ${process.version}, ${os.cpus().length} cpus, ${os.cpus()[0]?.model ?? '?'}\n`,
  );
  if (opts.build) await build();

  const results = [];
  for (const bench of chosen) results.push(await runOne(bench, opts.options));

  process.stdout.write(`\n${formatTable(results)}`);
  process.stdout.write('ratio = value ÷ baseline, both measured in this run; compare ratios across runs.\n');
  await writeResults(results);
  const failed = results.filter((r) => r.error);
  if (failed.length > 0) {
    process.stdout.write(`\n${failed.length} benchmark(s) failed: ${failed.map((r) => r.name).join(', ')}\n`);
    process.exit(1);
  }
}

function parseArgs(argv) {
  const opts = { build: true, list: false, names: [], options: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg === '--no-build') opts.build = false;
    else if (arg === '--list') opts.list = true;
    else if (arg === '--width') {
      const width = Number(argv[++i]);
      if (!Number.isInteger(width) || width < 1)
        usageError(`--width needs a whole number ≥ 1, got ${argv[i]}`);
      opts.options.width = width;
    } else if (arg.startsWith('-')) usageError(`unknown option ${arg}`);
    else opts.names.push(arg);
  }
  return opts;
}

async function loadBenchmarks() {
  const files = fs
    .readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.bench.mjs'))
    .sort();
  const benches = [];
  for (const file of files) {
    const mod = await import(pathToFileURL(path.join(BENCH_DIR, file)).href);
    const bench = mod.default ?? mod;
    if (typeof bench.name !== 'string' || typeof bench.run !== 'function') {
      throw new Error(`bench/${file} must export \`name\` (a string) and \`run(ctx)\` (a function)`);
    }
    benches.push(bench);
  }
  return benches.sort((a, b) => (a.order ?? 100) - (b.order ?? 100) || a.name.localeCompare(b.name));
}

async function build() {
  process.stdout.write('\n━━ build: npm run build\n');
  const limit = 10 * 60_000;
  const r = await runCommand('npm', ['run', 'build'], { cwd: ROOT, env: hostNodeEnv(), timeoutMs: limit });
  if (r.code !== 0) {
    process.stdout.write(`✖ build failed (${describeExit(r, limit)}): fix the errors above, then re-run\n`);
    process.exit(1);
  }
  process.stdout.write(`✔ build (${formatDuration(r.durationMs)})\n`);
}

async function runOne(bench, options) {
  process.stdout.write(`\n━━ ${bench.name}: ${bench.description ?? ''}\n`);
  const ctx = createBenchContext(ROOT, options);
  const started = performance.now();
  try {
    const rows = (await bench.run(ctx)).map(finishRow);
    const durationMs = performance.now() - started;
    process.stdout.write(`✔ ${bench.name} (${formatDuration(durationMs)})\n`);
    return { name: bench.name, description: bench.description, ok: true, durationMs, rows };
  } catch (err) {
    const durationMs = performance.now() - started;
    const error = err instanceof Error ? err.message : String(err);
    process.stdout.write(`✖ ${bench.name} failed after ${formatDuration(durationMs)}: ${error}\n`);
    return { name: bench.name, description: bench.description, ok: false, durationMs, rows: [], error };
  } finally {
    ctx.dispose();
  }
}

async function writeResults(results) {
  const doc = {
    when: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    results,
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify(doc, null, 2)}\n`);
  // bench/** is in biome's scope (the folder is only gitignored): keep the file formatted its way.
  const biome = path.join(ROOT, 'node_modules', '.bin', 'biome');
  await runCommand(biome, ['format', '--write', RESULTS], { cwd: ROOT, stdio: 'capture', timeoutMs: 30_000 });
  process.stdout.write(`results: ${path.relative(ROOT, RESULTS)}\n`);
}

function usageError(message) {
  process.stderr.write(`error: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}
