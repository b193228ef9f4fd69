/**
 * Bundles the page of `stepflow ui` (src/ui/page/main.ts, browser TypeScript) with esbuild into
 * dist/ui/page.js, and copies its style to dist/ui/page.css. Run by `npm run build` after tsc.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const OUT = path.join(ROOT, 'dist', 'ui');
mkdirSync(OUT, { recursive: true });
await build({
  entryPoints: [path.join(ROOT, 'src', 'ui', 'page', 'main.ts')],
  outfile: path.join(OUT, 'page.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  logLevel: 'warning',
});
copyFileSync(path.join(ROOT, 'src', 'ui', 'page', 'style.css'), path.join(OUT, 'page.css'));
