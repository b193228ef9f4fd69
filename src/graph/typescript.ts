/**
 * Loads the TypeScript compiler quickly.
 *
 * `typescript.js` is one 9 MB CommonJS file: an ESM `import` of it took ~850 ms here (Node scans CJS for
 * named exports), a `require` ~300 ms. This loader compiles it with a V8 code cache kept in the OS temp
 * dir (keyed by the TypeScript and Node versions), which brings a warm load to ~120 ms. Any problem falls back to `require`.
 *
 * @module
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import type * as TS from 'typescript';

const require = createRequire(import.meta.url);

function cacheFile(version: string): string {
  const name = `typescript-${version}-node-${process.version}-${process.arch}.v8cache`;
  return join(tmpdir(), `stepflow-cache-${process.getuid?.() ?? 'user'}`, name);
}

function loadWithCodeCache(): typeof TS {
  const tsFile = require.resolve('typescript');
  const { version } = require('typescript/package.json') as { version: string };
  const cache = cacheFile(version);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cache);
  } catch {
    cachedData = undefined;
  }
  const source = readFileSync(tsFile, 'utf8');
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapper, { filename: tsFile, cachedData });
  const module = { exports: {} as unknown };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(module.exports, module.exports, createRequire(tsFile), module, tsFile, dirname(tsFile));
  if (!cachedData || script.cachedDataRejected) {
    try {
      mkdirSync(dirname(cache), { recursive: true });
      const temp = `${cache}.${process.pid}.tmp`;
      writeFileSync(temp, script.createCachedData());
      renameSync(temp, cache);
    } catch {
      // A cache we cannot write only costs time.
    }
  }
  return module.exports as typeof TS;
}

function load(): typeof TS {
  try {
    return loadWithCodeCache();
  } catch {
    return require('typescript') as typeof TS;
  }
}

/**
 * The TypeScript compiler API (5.9), loaded once.
 *
 * @example
 * ```ts
 * import { ts } from './typescript.js';
 * const file = ts.createSourceFile('flow.ts', source, ts.ScriptTarget.Latest, true);
 * ```
 */
export const ts: typeof TS = load();
