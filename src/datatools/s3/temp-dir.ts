/**
 * The temp dirs of open S3 tools: removed by `close()`, and at process exit for tools never closed,
 * so downloads do not pile up in `METAFLOW_TEMPDIR` (a tmpfs under `@batch`, where they use memory).
 *
 * @module
 */

import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';

const open = new Set<string>();
let hooked = false;

function removeAllNow(): void {
  for (const dir of open) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  }
  open.clear();
}

/**
 * Remembers `dir` for removal at process exit (until {@link forgetTempDir}).
 *
 * @example
 * ```ts
 * trackTempDir(await mkdtemp(path.join(tmproot, 'stepflow.s3.')));
 * ```
 */
export function trackTempDir(dir: string): void {
  open.add(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', removeAllNow);
  }
}

/**
 * Stops tracking `dir` (it was removed).
 *
 * @example
 * ```ts
 * forgetTempDir(dir);
 * ```
 */
export function forgetTempDir(dir: string): void {
  open.delete(dir);
}

/**
 * Removes a file or folder, recursively; missing is fine.
 *
 * @example
 * ```ts
 * await removePath(dir);
 * ```
 */
export async function removePath(target: string): Promise<void> {
  await rm(target, { recursive: true, force: true, maxRetries: 3 });
}
