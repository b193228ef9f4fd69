/**
 * The page's script and style: `dist/ui/page.js` and `page.css`, written by `npm run build`
 * (`scripts/build-ui.mjs`). Run from the sources (tsx), the script is bundled in memory with esbuild.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { UiError } from './errors.js';

/**
 * The page's files, as served.
 *
 * @example
 * ```ts
 * const { script, style } = await loadPageAssets();
 * ```
 */
export interface PageAssets {
  readonly script: string;
  readonly style: string;
}

const BUILT_SCRIPT = fileURLToPath(new URL('./page.js', import.meta.url));
const BUILT_STYLE = fileURLToPath(new URL('./page.css', import.meta.url));
const SOURCE_ENTRY = fileURLToPath(new URL('./page/main.ts', import.meta.url));
const SOURCE_STYLE = fileURLToPath(new URL('./page/style.css', import.meta.url));

/**
 * Reads the built page, or bundles it from the sources when there is no build beside this module.
 *
 * @example
 * ```ts
 * const assets = await loadPageAssets();
 * ```
 */
export async function loadPageAssets(): Promise<PageAssets> {
  if (existsSync(BUILT_SCRIPT) && existsSync(BUILT_STYLE)) {
    const [script, style] = await Promise.all([
      readFile(BUILT_SCRIPT, 'utf8'),
      readFile(BUILT_STYLE, 'utf8'),
    ]);
    return { script, style };
  }
  if (!existsSync(SOURCE_ENTRY)) {
    throw new UiError(
      `The page of stepflow ui is missing (${BUILT_SCRIPT}). Reinstall stepflow, or run \`npm run build\` in a clone.`,
    );
  }
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [SOURCE_ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    logLevel: 'silent',
  });
  return { script: out.outputFiles[0]?.text ?? '', style: await readFile(SOURCE_STYLE, 'utf8') };
}
