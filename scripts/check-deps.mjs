#!/usr/bin/env node
/**
 * The folder-boundary check: runs dependency-cruiser with `.dependency-cruiser.cjs` over src/ and prints
 *   - every error (a layer rule broken, a folder cycle, test code or a devDependency imported by src/, ...)
 *     with the rule's explanation: exit 1;
 *   - known exceptions of the config that no longer occur (delete them from the list): exit 1.
 * A deep cross-folder import (past another folder's index.ts) is one of the errors (rule `deep-import`).
 *
 * `npm test` runs it as its `deps` step; by hand: `npm run deps:check` (or `node scripts/check-deps.mjs`).
 *
 *   node scripts/check-deps.mjs [--verbose] [--cwd DIR] [--config FILE] [--no-stale-check] [PATH ...]
 *
 * PATH defaults to `src`; `--cwd` cruises another tree with this config (the tests use a fixture tree).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEPCRUISE = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const USAGE =
  'usage: node scripts/check-deps.mjs [--verbose] [--cwd DIR] [--config FILE] [--no-stale-check] [PATH ...]';

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  const result = checkDeps(opts);
  process.stdout.write(result.text);
  process.exit(result.code);
}

/**
 * Cruise `opts.paths` (default `src`) from `opts.cwd` (default the repository) with the config, and say
 * what it found. Returns the report and the exit code (0 clean, 1 violations or stale exceptions,
 * 2 dependency-cruiser itself failed).
 *
 * @example
 * ```js
 * const { code, text } = checkDeps({ cwd: fixtureDir });
 * ```
 */
export function checkDeps(opts = {}) {
  const cwd = opts.cwd ?? ROOT;
  const configFile = path.resolve(opts.config ?? path.join(ROOT, '.dependency-cruiser.cjs'));
  const paths = opts.paths?.length ? opts.paths : ['src'];
  const run = spawnSync(
    process.execPath,
    [DEPCRUISE, ...paths, '--config', configFile, '--output-type', 'json'],
    { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  let cruise;
  try {
    cruise = JSON.parse(run.stdout);
  } catch {
    return {
      code: 2,
      text: `dependency-cruiser failed (exit ${run.status ?? run.signal}):\n${run.stderr || run.stdout}\n`,
    };
  }
  const house = createRequire(import.meta.url)(configFile).stepflow ?? {};
  const { summary, modules } = cruise;
  const comments = new Map(summary.ruleSetUsed.forbidden.map((r) => [r.name, r.comment]));
  const errors = summary.violations.filter((v) => v.rule.severity === 'error');
  const stale = opts.staleCheck === false ? [] : staleExceptions(house, modules);

  const out = [];
  const known = house.KNOWN_EXCEPTIONS?.length ?? 0;
  out.push(
    `dependency boundaries (${path.relative(ROOT, configFile) || configFile}): ${summary.totalCruised} modules, ` +
      `${summary.totalDependenciesCruised} imports; ${known} known exceptions, ` +
      `${house.KNOWN_FOLDER_CYCLES?.length ?? 0} known folder cycle(s)`,
  );
  if (errors.length > 0) {
    out.push(`✖ ${errors.length} violation(s) of the folder boundaries:`);
    const byRule = groupBy(errors, (v) => v.rule.name);
    for (const [rule, list] of byRule) {
      out.push(`  ${rule}: ${comments.get(rule) ?? ''}`);
      for (const v of list) out.push(`    ${describe(v)}`);
    }
  }
  if (stale.length > 0) {
    out.push(
      `✖ ${stale.length} known exception(s) no longer occur: delete them from .dependency-cruiser.cjs`,
    );
    for (const s of stale) out.push(`    ${s}`);
  }
  const code = errors.length > 0 || stale.length > 0 ? 1 : 0;
  if (code === 0) out.push('✔ no new violation of the folder boundaries');
  else out.push('see ARCHITECTURE.md ("Layers", "The boundary check") for the table and how to change it');
  return { code, text: `${out.join('\n')}\n` };
}

/** The folder a module belongs to for the counts: `src/<folder>`, or `src/plugins/<name>`. */
export function folderOf(file) {
  const m = /^src\/(plugins\/[^/]+(?=\/)|[^/]+)/.exec(file);
  return m ? m[1] : file;
}

/** `Map.groupBy` (Node 21+) for Node 20. */
function groupBy(items, key) {
  const groups = new Map();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function describe(v) {
  if (v.cycle) return `${v.from} → ${v.cycle.map((c) => c.name ?? c).join(' → ')}`;
  return `${v.from} → ${v.to}`;
}

/** Known exceptions (and folder cycles) whose import is not in the cruised code any more. */
function staleExceptions(house, modules) {
  const edges = new Set();
  for (const m of modules) for (const d of m.dependencies) edges.add(`${m.source} ${d.resolved}`);
  const stale = (house.KNOWN_EXCEPTIONS ?? [])
    .filter((e) => !edges.has(`${e.from} ${e.to}`))
    .map((e) => `${e.from} → ${e.to}`);
  // A known folder cycle is stale when no import still goes from one of its folders to the other.
  const folderEdge = (a, b) =>
    modules.some(
      (m) => m.source.startsWith(`${a}/`) && m.dependencies.some((d) => path.posix.dirname(d.resolved) === b),
    );
  for (const { folders } of house.KNOWN_FOLDER_CYCLES ?? []) {
    const [a, b] = folders;
    if (!folderEdge(a, b) || !folderEdge(b, a)) stale.push(`folder cycle ${a} <-> ${b}`);
  }
  return stale;
}

function parseArgs(argv) {
  const opts = { paths: [], verbose: false, staleCheck: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--verbose' || arg === '-v') opts.verbose = true;
    else if (arg === '--no-stale-check') opts.staleCheck = false;
    else if (arg === '--cwd') opts.cwd = path.resolve(argv[++i] ?? '.');
    else if (arg === '--config') opts.config = argv[++i];
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg.startsWith('-')) {
      process.stderr.write(`error: unknown option ${arg}\n${USAGE}\n`);
      process.exit(2);
    } else opts.paths.push(arg);
  }
  return opts;
}
