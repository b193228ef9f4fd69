/**
 * Storing code packages in the datastore's content-addressed area, and reading them back.
 *
 * @module
 */

import { gunzipSync } from 'node:zlib';
import type { StorageBackend } from '../datastore/index.js';
import { sha256Hex, unpackCodePackage } from './archive.js';
import { PackageFormatError, PackageNotFoundError } from './errors.js';
import type { CodePackage } from './types.js';

/** The content store's header byte for a blob stored as is. */
const HEADER_RAW = 0x00;
/** The content store's header byte for a gzip'd blob. */
const HEADER_GZIP = 0x01;

/**
 * The storage key of a code package: `<flowName>/data/<sha[0:2]>/<sha>`, the content store's layout.
 *
 * @example
 * ```ts
 * codePackageKey('HelloFlow', 'ab12…'); // 'HelloFlow/data/ab/ab12…'
 * ```
 */
export function codePackageKey(flowName: string, sha: string): string {
  return `${flowName}/data/${sha.slice(0, 2)}/${sha}`;
}

/**
 * Stores a package's archive in the flow's content-addressed store (header byte `0x00`, then the
 * archive), skipping the write when that sha is already stored.
 *
 * @example
 * ```ts
 * const pkg = await buildCodePackage('flow.ts');
 * await storeCodePackage(storage, 'HelloFlow', pkg);
 * ```
 */
export async function storeCodePackage(
  storage: StorageBackend,
  flowName: string,
  pkg: CodePackage,
): Promise<void> {
  const body = Buffer.concat([Buffer.from([HEADER_RAW]), pkg.archive]);
  await storage.put(codePackageKey(flowName, pkg.sha), body, { ifAbsent: true });
}

/**
 * Reads a package back from the flow's content-addressed store, checks its sha256 and unpacks it.
 * Throws {@link PackageNotFoundError} when it is missing and {@link PackageFormatError} when the bytes
 * are damaged.
 *
 * @example
 * ```ts
 * const pkg = await loadCodePackage(storage, 'HelloFlow', sha);
 * const bundlePath = await materializeCodePackage(pkg, process.cwd());
 * ```
 */
export async function loadCodePackage(
  storage: StorageBackend,
  flowName: string,
  sha: string,
): Promise<CodePackage> {
  const key = codePackageKey(flowName, sha);
  const stored = await storage.get(key);
  if (stored === undefined) throw new PackageNotFoundError(key, { sha, storageRoot: storage.root });
  if (stored.length === 0) throw new PackageFormatError('the stored blob is empty', { sha });
  let archive: Buffer;
  if (stored[0] === HEADER_RAW) archive = stored.subarray(1);
  else if (stored[0] === HEADER_GZIP) {
    try {
      archive = gunzipSync(stored.subarray(1));
    } catch (cause) {
      throw new PackageFormatError('the stored blob is marked gzip but does not inflate', { sha, cause });
    }
  } else {
    throw new PackageFormatError(`unknown content store header byte 0x${stored[0]!.toString(16)}`, { sha });
  }
  const actual = sha256Hex(archive);
  if (actual !== sha) throw new PackageFormatError(`its sha256 is ${actual}`, { sha });
  const { files, manifest } = unpackCodePackage(archive);
  return {
    sha,
    archive: Buffer.from(archive),
    bundle: files.get('bundle.mjs')!,
    sourceMap: files.get('bundle.mjs.map')!,
    manifest,
    buildMs: 0,
  };
}
