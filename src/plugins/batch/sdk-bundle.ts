/**
 * The AWS SDK for the container: `@aws-sdk/client-s3` bundled by esbuild into one CommonJS file
 * (`aws-sdk-s3.cjs`), built once per SDK version and cached under the OS temp dir. A package sent to AWS
 * Batch carries it; the bootstrap points `STEPFLOW_S3_SDK_PATH` at it (the image has no node_modules).
 *
 * @module
 */

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveS3SdkPath } from '../../datastore/s3/sdk.js';

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

let building: Promise<Buffer> | undefined;

/**
 * The bundled `@aws-sdk/client-s3` (CommonJS, minified, Node 20 target), from the cache or built now.
 *
 * @example
 * ```ts
 * const sdk = await s3SdkBundle(); // ~1 MB
 * ```
 */
export function s3SdkBundle(cacheDir: string = path.join(tmpdir(), 'stepflow-sdk-cache')): Promise<Buffer> {
  building ??= build(cacheDir).catch((err: unknown) => {
    building = undefined;
    throw err;
  });
  return building;
}

async function build(cacheDir: string): Promise<Buffer> {
  const entry = resolveS3SdkPath();
  const esbuild = await loadEsbuild(entry);
  const file = path.join(cacheDir, `aws-sdk-s3-${await sdkVersion(entry)}-esbuild-${esbuild.version}.cjs`);
  try {
    return await readFile(file);
  } catch {
    // not cached yet
  }
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
  await mkdir(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
  return bytes;
}
