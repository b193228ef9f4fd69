/**
 * A second copy of some of stepflow's modules, as the CLI meets it in a flow's code bundle: the modules
 * are bundled by esbuild into one file (their own classes, not the ones this process already loaded) and
 * imported.
 *
 * @module
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SRC = path.resolve(fileURLToPath(new URL('../../src', import.meta.url)));

/**
 * Bundles the given modules of `src/` (paths relative to it, without extension) into a fresh copy and
 * imports it; each key of `modules` becomes a namespace of the result.
 *
 * @example
 * ```ts
 * const copy = await importSecondCopy<{ common: typeof import('../../src/common/errors.js') }>({
 *   common: 'common/errors',
 * });
 * new copy.common.StepflowError('x') instanceof StepflowError; // true: branded across copies
 * ```
 */
export async function importSecondCopy<T>(modules: Readonly<Record<string, string>>): Promise<T> {
  const esbuild = await import('esbuild');
  const contents = Object.entries(modules)
    .map(([name, file]) => `export * as ${name} from './${file}.ts';`)
    .join('\n');
  const result = await esbuild.build({
    stdin: { contents, resolveDir: SRC, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'stepflow-second-copy-'));
  try {
    const file = path.join(dir, 'copy.mjs');
    await writeFile(file, result.outputFiles[0]?.text ?? '');
    return (await import(pathToFileURL(file).href)) as T;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
