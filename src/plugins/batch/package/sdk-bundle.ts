/**
 * The AWS SDK for the container: `@aws-sdk/client-s3` bundled by esbuild into one CommonJS file
 * (`aws-sdk-s3.cjs`), built once per SDK and esbuild version and kept in the per-user cache
 * (`~/.cache/stepflow/sdk/`, verified against its recorded sha256 before each use). A package sent to AWS
 * Batch carries it ({@link storeBatchPackage}: the run's code package with the bundle added, stored
 * content-addressed like any package); the bootstrap points `STEPFLOW_S3_SDK_PATH` at it (the image has no
 * node_modules).
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { StorageBackend } from '../../../datastore/index.js';
import { resolveS3SdkPath } from '../../../datastore/index.js';
import { packArchive, sha256Hex } from '../../../package/archive.js';
import type { CodePackage } from '../../../package/index.js';
import { codePackageKey, storeCodePackage } from '../../../package/store.js';
import { type UserCacheOptions, userCache } from '../../../package/user-cache.js';
import { SDK_BUNDLE_FILE } from '../bootstrap/main.js';

async function sdkVersion(entry: string): Promise<string> {
  for (let dir = path.dirname(entry); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === '@aws-sdk/client-s3' && pkg.version) return pkg.version;
    } catch {
      // keep looking upward
    }
  }
  return 'unknown';
}

type Esbuild = typeof import('esbuild');

/** esbuild from here, else beside the S3 SDK (both are dependencies of stepflow). */
async function loadEsbuild(sdkEntry: string): Promise<Esbuild> {
  try {
    return await import('esbuild');
  } catch (err) {
    try {
      return createRequire(sdkEntry)('esbuild') as Esbuild;
    } catch {
      throw err;
    }
  }
}

/** Calls in flight, per cache folder: concurrent callers share one read (or build). */
const pending = new Map<string, Promise<Buffer>>();

/**
 * The bundled `@aws-sdk/client-s3` (CommonJS, minified, Node 20 target), from the per-user cache or
 * built now. The cache folder is checked first ({@link userCache}: refused when another user could
 * write it), and a cached copy whose bytes differ from its recorded sha256 is rebuilt, with a notice.
 * Each call re-verifies the cached copy (about 1 MB to hash).
 *
 * @example
 * ```ts
 * const sdk = await s3SdkBundle(); // ~1 MB
 * ```
 */
export async function s3SdkBundle(options: UserCacheOptions = {}): Promise<Buffer> {
  const cache = userCache(options);
  let call = pending.get(cache.root);
  if (call === undefined) {
    call = build(cache).finally(() => pending.delete(cache.root));
    pending.set(cache.root, call);
  }
  return call;
}

/**
 * The cache entry name of the SDK bundle for the installed SDK and esbuild.
 *
 * @example
 * ```ts
 * await s3SdkBundleName(); // 'sdk/aws-sdk-s3-3.700.0-esbuild-0.24.0.cjs'
 * ```
 */
export async function s3SdkBundleName(): Promise<string> {
  const entry = resolveS3SdkPath();
  const esbuild = await loadEsbuild(entry);
  return `sdk/aws-sdk-s3-${await sdkVersion(entry)}-esbuild-${esbuild.version}.cjs`;
}

async function build(cache: ReturnType<typeof userCache>): Promise<Buffer> {
  const entry = resolveS3SdkPath();
  const esbuild = await loadEsbuild(entry);
  return cache.file(await s3SdkBundleName(), async () => {
    const result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      minify: true,
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    const bytes = Buffer.from(result.outputFiles[0]?.contents ?? new Uint8Array());
    if (bytes.length === 0) throw new Error('esbuild produced no SDK bundle');
    return bytes;
  });
}

/**
 * Stores the run's code package with the AWS SDK bundle added (`aws-sdk-s3.cjs`), content-addressed like
 * any package; returns its sha and `s3://` location for the bootstrap.
 *
 * @example
 * ```ts
 * const { sha, url } = await storeBatchPackage(storage, 'HelloFlow', pkg);
 * ```
 */
export async function storeBatchPackage(
  storage: StorageBackend,
  flowName: string,
  pkg: CodePackage,
): Promise<{ sha: string; url: string }> {
  const sdk = await s3SdkBundle();
  const archive = packArchive(pkg.bundle, pkg.sourceMap, pkg.manifest, [
    { name: SDK_BUNDLE_FILE, data: sdk },
  ]);
  const sha = sha256Hex(archive);
  await storeCodePackage(storage, flowName, { ...pkg, sha, archive });
  const root = storage.root.replace(/\/+$/, '');
  return { sha, url: `${root}/${codePackageKey(flowName, sha)}` };
}
