/**
 * The `ctx` a benchmark's `run(ctx)` receives: the repo, the node binary, temp dirs, and a way to
 * run the stepflow CLI and time it.
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeExit, hostNodeEnv, runCommand } from './proc.mjs';

/**
 * Make a context for one benchmark (`options`: the harness's `--width N` etc.); call `dispose()` when it is
 * done (removes its temp dirs).
 *
 * @example
 * ```js
 * const ctx = createBenchContext(root);
 * try { rows = await bench.run(ctx); } finally { ctx.dispose(); }
 * ```
 */
export function createBenchContext(root, options = {}) {
  const dirs = [];
  const cli = path.join(root, 'bin', 'stepflow.mjs');
  return {
    /** The repository root (the CLI runs with it as working directory). */
    root,
    /** Options given to the harness for the benchmarks (`--width N` → `{ width: N }`). */
    options,
    /** The node running the benchmarks (the host's Node 20). */
    node: process.execPath,
    /** A fresh temp dir, removed after the benchmark. */
    tempDir() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-bench-'));
      dirs.push(dir);
      return dir;
    },
    /** Print a detail line under the benchmark's header. */
    log(message) {
      process.stdout.write(`  ${message}\n`);
    },
    /** Throw a clear error now if the CLI or the built framework is missing (before slow baselines). */
    checkCli() {
      checkFrameworkBuilt(root, cli);
    },
    /**
     * Run `node bin/stepflow.mjs ...args` in the repo; resolves `{ wallMs, stdout, stderr }`, throws a
     * clear error when the CLI is missing or the command does not exit 0.
     */
    async runCli(args, { timeoutMs = 5 * 60_000 } = {}) {
      checkFrameworkBuilt(root, cli);
      const r = await runCommand(process.execPath, [cli, ...args], {
        cwd: root,
        env: hostNodeEnv(),
        stdio: 'capture',
        timeoutMs,
      });
      if (r.code !== 0) {
        throw new Error(
          `\`stepflow ${args.join(' ')}\` ${describeExit(r, timeoutMs)}. Its last output:\n` +
            indent(lastLines(`${r.stdout}\n${r.stderr}`, 20)),
        );
      }
      return { wallMs: r.durationMs, stdout: r.stdout, stderr: r.stderr };
    },
    /** Remove the temp dirs. */
    dispose() {
      for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function checkFrameworkBuilt(root, cli) {
  if (!fs.existsSync(cli)) {
    throw new Error(`${path.relative(root, cli)} not found: the stepflow CLI has not landed yet`);
  }
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) {
    throw new Error(
      'dist/index.js not found: src/index.ts has not landed yet, or `npm run build` did not emit it',
    );
  }
}

function lastLines(text, n) {
  const lines = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-n);
  return lines.length > 0 ? lines.join('\n') : '(no output)';
}

function indent(text) {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
