/**
 * Finds the test files: unit tests `src/**\/*.test.ts` (and the project scripts' own tests,
 * `scripts/**\/*.test.mjs`, `bench/**\/*.test.mjs`, the test helpers' `test/support/**\/*.test.ts`), whole-flow tests `test/e2e/**\/*.test.ts`.
 *
 * Node 20's `--test` takes no glob, so the files are listed here and passed explicitly.
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';

/** Where each kind of test lives, relative to the repo root (the first folder is the main one). */
export const TEST_DIRS = { unit: ['src', 'scripts', 'bench', 'test/support'], e2e: ['test/e2e'] };

const TEST_FILE = /\.test\.(ts|mts|mjs)$/;
const SKIP_DIRS = new Set(['node_modules', '.stepflow-cache', 'results']);

/**
 * All test files of one kind, as sorted repo-relative POSIX paths.
 *
 * @example
 * ```js
 * findTests(root, 'unit'); // ['src/graph/parse.test.ts', ...]
 * ```
 */
export function findTests(root, kind) {
  const found = [];
  for (const top of TEST_DIRS[kind]) {
    const dir = path.join(root, top);
    if (!fs.existsSync(dir)) continue;
    for (const entry of fs.readdirSync(dir, { recursive: true })) {
      const rel = String(entry);
      if (TEST_FILE.test(rel) && !rel.split(path.sep).some((part) => SKIP_DIRS.has(part))) {
        found.push(toPosix(path.join(top, rel)));
      }
    }
  }
  return found.sort();
}

/**
 * Apply the developer's filters to the discovered tests. A filter is a test file, a folder (every
 * test under it) or, failing those, a substring of the path. Returns `{ unit, e2e }`.
 *
 * @throws Error naming the filter that matched nothing.
 * @example
 * ```js
 * selectTests(root, ['test/e2e/foreach.test.ts']); // { unit: [], e2e: ['test/e2e/foreach.test.ts'] }
 * ```
 */
export function selectTests(root, filters) {
  const all = { unit: findTests(root, 'unit'), e2e: findTests(root, 'e2e') };
  if (filters.length === 0) return all;
  const picked = { unit: new Set(), e2e: new Set() };
  for (const filter of filters) {
    const matches = matchFilter(root, filter, all);
    if (matches.length === 0) {
      throw new Error(
        `test filter "${filter}" matched no test file (looked under ${[...TEST_DIRS.unit, ...TEST_DIRS.e2e].join('/, ')}/). ` +
          "Pass a test file, a folder, or part of a test file's path.",
      );
    }
    for (const file of matches) picked[kindOf(file)].add(file);
  }
  return { unit: [...picked.unit].sort(), e2e: [...picked.e2e].sort() };
}

function matchFilter(root, filter, all) {
  const abs = path.resolve(filter);
  const everything = [...all.unit, ...all.e2e];
  if (fs.existsSync(abs)) {
    const rel = toPosix(path.relative(root, abs));
    if (fs.statSync(abs).isDirectory()) {
      const prefix = rel === '' ? '' : `${rel}/`;
      return everything.filter((f) => f.startsWith(prefix));
    }
    if (rel.startsWith('..')) throw new Error(`test file ${filter} is outside the repository (${root}).`);
    return [rel];
  }
  const needle = toPosix(filter);
  return everything.filter((f) => f.includes(needle));
}

function kindOf(file) {
  return file.startsWith('test/e2e/') ? 'e2e' : 'unit';
}

function toPosix(p) {
  return p.split(path.sep).join('/');
}
