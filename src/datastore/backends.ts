/**
 * The registry of storage backends: `local` is built in, other kinds (such as `s3`) register a
 * lazy factory so their dependencies load only when used.
 *
 * @module
 */

import path from 'node:path';
import { DatastoreError } from './errors.js';
import { LocalStorage } from './local-storage.js';
import type { StorageBackend, StorageSpec } from './storage.js';

/**
 * Creates a backend from its spec; may be async so it can `import()` its implementation lazily.
 *
 * @example
 * ```ts
 * const factory: StorageBackendFactory = (spec) => new LocalStorage(spec.root);
 * ```
 */
export type StorageBackendFactory = (spec: StorageSpec) => StorageBackend | Promise<StorageBackend>;

/**
 * The folder name of the default local datastore, under the working directory.
 *
 * @example
 * ```ts
 * path.join(process.cwd(), DEFAULT_LOCAL_ROOT_NAME); // '<cwd>/.stepflow'
 * ```
 */
export const DEFAULT_LOCAL_ROOT_NAME = '.stepflow';

const factories = new Map<string, StorageBackendFactory>([
  ['local', (spec) => new LocalStorage(spec.root)],
  // Loaded lazily: local runs never load the S3 backend (nor, through it, the AWS SDK).
  ['s3', async (spec) => (await import('./s3/s3-storage.js')).openS3Storage(spec)],
]);

/**
 * Registers (or replaces) the factory of a backend kind.
 *
 * @example
 * ```ts
 * registerStorageBackend('s3', async (spec) => {
 *   const { S3Storage } = await import('./s3/s3-storage.js');
 *   return new S3Storage(spec.root, { sse: 'AES256' });
 * });
 * ```
 */
export function registerStorageBackend(kind: string, factory: StorageBackendFactory): void {
  if (!/^[a-z][a-z0-9-]*$/.test(kind)) {
    throw new DatastoreError(`Invalid storage backend kind "${kind}": use lowercase letters, digits, "-".`);
  }
  factories.set(kind, factory);
}

/**
 * The backend kinds that can be opened.
 *
 * @example
 * ```ts
 * storageBackendKinds(); // ['local', 's3']
 * ```
 */
export function storageBackendKinds(): string[] {
  return [...factories.keys()].sort();
}

/**
 * Opens the backend a spec describes.
 *
 * @example
 * ```ts
 * const storage = await openStorage({ kind: 'local', root: defaultLocalRoot() });
 * ```
 */
export async function openStorage(spec: StorageSpec): Promise<StorageBackend> {
  const factory = factories.get(spec.kind);
  if (!factory) {
    throw new DatastoreError(
      `Unknown storage backend "${spec.kind}" (known: ${storageBackendKinds().join(', ')}). ` +
        'Set the datastore type to one of these, or import the plugin that registers it.',
    );
  }
  return await factory(spec);
}

/**
 * The default local datastore root: `.stepflow/` in `cwd` (the working directory by default).
 *
 * @example
 * ```ts
 * defaultLocalRoot('/home/me/project'); // '/home/me/project/.stepflow'
 * ```
 */
export function defaultLocalRoot(cwd: string = process.cwd()): string {
  return path.join(path.resolve(cwd), DEFAULT_LOCAL_ROOT_NAME);
}
