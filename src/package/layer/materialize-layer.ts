/**
 * Unpacking a dependency layer once per user, where a bundle's `node_modules` link can point.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { PackageFormatError } from '../errors.js';
import { streamTarEntries } from '../tar.js';
import { userCacheDir } from '../user-cache.js';
import type { DependencyLayer } from './build-layer.js';

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/**
 * Unpacks a layer's archive (after checking its sha256) into `<cacheDir>/layers/unpacked/<sha>/`,
 * once: a folder renamed into place when complete. Returns the folder, which holds `node_modules/`.
 *
 * @example
 * ```ts
 * const dir = await materializeLayer(pkg.layer!);
 * // dir/node_modules/sharp/package.json
 * ```
 */
export async function materializeLayer(
  layer: DependencyLayer,
  cacheDir: string = userCacheDir(),
): Promise<string> {
  const parent = path.join(cacheDir, 'layers', 'unpacked');
  const target = path.join(parent, layer.sha256);
  if (await exists(path.join(target, 'node_modules'))) return target;
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const tmp = await mkdtemp(path.join(parent, `.tmp-${layer.sha256.slice(0, 12)}-`));
  try {
    // Checked first (streamed): nothing is unpacked unless the bytes are the recorded ones.
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(layer.archivePath)) hash.update(chunk as Buffer);
    const actual = hash.digest('hex');
    if (actual !== layer.sha256) {
      throw new PackageFormatError(`the dependency layer at ${layer.archivePath} has sha256 ${actual}`, {
        sha: layer.sha256,
      });
    }
    const source = createReadStream(layer.archivePath);
    try {
      for await (const entry of streamTarEntries(source.pipe(createGunzip()))) {
        const file = path.join(tmp, entry.name);
        if (!file.startsWith(`${tmp}${path.sep}`)) {
          throw new PackageFormatError(`entry ${entry.name} leaves the layer`);
        }
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, entry.data, { mode: entry.executable ? 0o755 : 0o644 });
      }
    } finally {
      source.destroy(); // the tar's end marker comes before the end of the gzip stream
    }
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await exists(path.join(target, 'node_modules'))))
      return target;
    throw error;
  }
  return target;
}
