/**
 * Finding the packages that read files next to their modules (`fs.readFileSync(__dirname + '/data/x')`,
 * `new URL('./x.wasm', import.meta.url)`): `@vercel/nft` follows those reads; a bundle cannot.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRootOf } from './detect.js';

/** Files read through `__dirname` that are code a bundle carries anyway. */
const CODE_FILE = /\.([cm]?js|json|ts)$/;

function verdictKey(dir: string): string {
  let pkg = '';
  try {
    pkg = readFileSync(path.join(dir, 'package.json'), 'utf8');
  } catch {}
  return createHash('sha256').update(`own-files-v1\0${dir}\0${pkg}`).digest('hex');
}

/**
 * Which of the `suspects` (package folder → its modules that mention their own location) read
 * non-code files relative to those modules, as `@vercel/nft` sees it. Verdicts are cached in
 * `<cacheDir>/own-files/` by package folder and `package.json`. Returns folder → the first such file.
 *
 * @example
 * ```ts
 * await packagesReadingOwnFiles(new Map([['/p/node_modules/pdfkit', new Set(['/p/node_modules/pdfkit/js/pdfkit.js'])]]), cacheDir);
 * // Map { '/p/node_modules/pdfkit' => 'js/data/Courier.afm' }
 * ```
 */
export async function packagesReadingOwnFiles(
  suspects: ReadonlyMap<string, ReadonlySet<string>>,
  cacheDir: string,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const unknown = new Map<string, ReadonlySet<string>>();
  const verdictDir = path.join(cacheDir, 'own-files');
  for (const [dir, files] of suspects) {
    const cached = await readFile(path.join(verdictDir, verdictKey(dir)), 'utf8').catch(() => undefined);
    if (cached === undefined) unknown.set(dir, files);
    else if (cached !== '') found.set(dir, cached);
  }
  if (unknown.size === 0) return found;
  const { nodeFileTrace } = await import('@vercel/nft');
  const root = path.parse([...unknown.keys()][0]!).root;
  const dirs = [...unknown.keys()];
  const inSuspect = (abs: string): boolean =>
    dirs.some((d) => abs === d || abs.startsWith(`${d}${path.sep}`));
  let trace: Awaited<ReturnType<typeof nodeFileTrace>>;
  try {
    trace = await nodeFileTrace(
      [...unknown.values()].flatMap((s) => [...s]),
      { base: root, ignore: (rel: string) => !inSuspect(path.join(root, rel)) },
    );
  } catch {
    return found; // Not traceable: those packages stay in the bundle, as before; no verdict is cached.
  }
  const fresh = new Map<string, string>();
  for (const [rel, reason] of trace.reasons) {
    if (!reason.type.includes('asset') || CODE_FILE.test(rel)) continue;
    const abs = path.join(root, rel);
    const dir = packageRootOf(abs);
    if (dir === null || !unknown.has(dir) || fresh.has(dir)) continue;
    fresh.set(dir, path.relative(dir, abs).split(path.sep).join('/'));
  }
  await mkdir(verdictDir, { recursive: true, mode: 0o700 });
  for (const dir of unknown.keys()) {
    const verdict = fresh.get(dir) ?? '';
    if (verdict !== '') found.set(dir, verdict);
    await writeFile(path.join(verdictDir, verdictKey(dir)), verdict, { mode: 0o600 }).catch(() => undefined);
  }
  return found;
}
