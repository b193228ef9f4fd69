/**
 * Packing and unpacking the code package archive: a deterministic gzip'd ustar tar holding
 * `bundle.mjs`, `bundle.mjs.map` and `manifest.json`.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { errorMessage } from '../common/index.js';
import { PackageFormatError } from './errors.js';
import { readTar, type TarEntry, writeTar } from './tar.js';
import { PACKAGE_FILES, type PackageManifest } from './types.js';

/** gzip's OS byte for Unix: written whatever the host so archives match across platforms. */
const GZIP_OS_UNIX = 3;

/**
 * sha256 (hex) of some bytes.
 *
 * @example
 * ```ts
 * sha256Hex(Buffer.from('')); // 'e3b0c442…'
 * ```
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Serializes a manifest with a fixed key order, so equal manifests give equal bytes.
 *
 * @example
 * ```ts
 * const json = manifestJson(pkg.manifest);
 * ```
 */
export function manifestJson(manifest: PackageManifest): Buffer {
  const ordered: PackageManifest = {
    version: manifest.version,
    flowFile: manifest.flowFile,
    entry: manifest.entry,
    externals: [...manifest.externals],
    inputs: [...manifest.inputs],
    nodeMajor: manifest.nodeMajor,
  };
  return Buffer.from(`${JSON.stringify(ordered, null, 2)}\n`);
}

/**
 * Packs a bundle, its source map and its manifest into a deterministic `.tar.gz` (gzip level 3,
 * header mtime 0, OS byte fixed to Unix). `extraFiles` go in too (e.g. the AWS SDK bundle of a package
 * sent to AWS Batch); such an archive is read by the job's bootstrap, not by `unpackCodePackage`.
 *
 * @example
 * ```ts
 * const archive = packArchive(bundle, sourceMap, manifest);
 * const sha = sha256Hex(archive);
 * ```
 */
export function packArchive(
  bundle: Uint8Array,
  sourceMap: Uint8Array,
  manifest: PackageManifest,
  extraFiles: readonly TarEntry[] = [],
): Buffer {
  const tar = writeTar([
    { name: 'bundle.mjs', data: bundle },
    { name: 'bundle.mjs.map', data: sourceMap },
    { name: 'manifest.json', data: manifestJson(manifest) },
    ...extraFiles,
  ]);
  const gz = gzipSync(tar, { level: 3 });
  gz.writeUInt32LE(0, 4); // mtime: Node already writes 0; keep it explicit.
  gz[9] = GZIP_OS_UNIX;
  return gz;
}

function parseManifest(bytes: Buffer): PackageManifest {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new PackageFormatError('manifest.json is not valid JSON', { cause });
  }
  const m = value as Record<string, unknown> | null;
  const isStringArray = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (
    m === null ||
    typeof m !== 'object' ||
    m.version !== 1 ||
    typeof m.flowFile !== 'string' ||
    m.entry !== 'bundle.mjs' ||
    !isStringArray(m.externals) ||
    !isStringArray(m.inputs) ||
    typeof m.nodeMajor !== 'number'
  ) {
    throw new PackageFormatError('manifest.json does not describe a version 1 package');
  }
  return {
    version: 1,
    flowFile: m.flowFile,
    entry: 'bundle.mjs',
    externals: m.externals,
    inputs: m.inputs,
    nodeMajor: m.nodeMajor,
  };
}

/**
 * Unpacks a code package archive, checking that it is a gzip'd ustar tar holding exactly the three
 * package files and a valid manifest. Throws a {@link PackageFormatError} otherwise.
 *
 * @example
 * ```ts
 * const { files, manifest } = unpackCodePackage(archive);
 * const bundle = files.get('bundle.mjs')!;
 * ```
 */
export function unpackCodePackage(archive: Buffer): {
  files: Map<string, Buffer>;
  manifest: PackageManifest;
} {
  if (archive.length < 18 || archive[0] !== 0x1f || archive[1] !== 0x8b) {
    throw new PackageFormatError('not a gzip stream (missing the 1f 8b magic)');
  }
  let tar: Buffer;
  try {
    tar = gunzipSync(archive);
  } catch (cause) {
    throw new PackageFormatError(`gzip stream is damaged (${errorMessage(cause)})`, { cause });
  }
  const files = readTar(tar);
  const names = [...files.keys()].sort();
  if (names.length !== PACKAGE_FILES.length || names.some((n, i) => n !== PACKAGE_FILES[i])) {
    throw new PackageFormatError(
      `archive holds [${names.join(', ')}] instead of [${PACKAGE_FILES.join(', ')}]`,
    );
  }
  return { files, manifest: parseManifest(files.get('manifest.json')!) };
}
