import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { ListEntry, PutOptions, StorageBackend } from '../datastore/storage.js';
import { packArchive, sha256Hex } from './archive.js';
import { PackageFormatError, PackageNotFoundError } from './errors.js';
import { codePackageKey, loadCodePackage, storeCodePackage } from './store.js';
import type { CodePackage, PackageManifest } from './types.js';

/** A storage backend in memory, counting writes. */
class MemoryStorage implements StorageBackend {
  readonly kind = 'memory';
  readonly root = 'mem://';
  readonly blobs = new Map<string, Buffer>();
  writes = 0;
  async put(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    if (options?.ifAbsent && this.blobs.has(key)) return false;
    this.writes++;
    this.blobs.set(key, Buffer.from(body));
    return true;
  }
  async createExclusive(key: string, body: Uint8Array): Promise<boolean> {
    return await this.put(key, body, { ifAbsent: true });
  }
  async get(key: string): Promise<Buffer | undefined> {
    return this.blobs.get(key);
  }
  async exists(key: string): Promise<boolean> {
    return this.blobs.has(key);
  }
  async list(prefix: string): Promise<ListEntry[]> {
    return [...this.blobs.keys()]
      .filter((k) => k.startsWith(prefix))
      .map((key) => ({ key, isPrefix: false }));
  }
  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
  }
}

function fakePackage(): CodePackage {
  const manifest: PackageManifest = {
    version: 1,
    flowFile: 'flow.ts',
    entry: 'bundle.mjs',
    externals: ['native-a'],
    inputs: ['flow.ts'],
    nodeMajor: 20,
  };
  const bundle = Buffer.from('export const x = 1;\n//# sourceMappingURL=bundle.mjs.map\n');
  const sourceMap = Buffer.from('{"version":3,"sources":[],"mappings":""}');
  const archive = packArchive(bundle, sourceMap, manifest);
  return { sha: sha256Hex(archive), archive, bundle, sourceMap, manifest, buildMs: 5 };
}

describe('store', () => {
  it('store writes 0x00 + archive under <flow>/data/<sha2>/<sha>, once; load reads it back', async () => {
    const storage = new MemoryStorage();
    const pkg = fakePackage();
    await storeCodePackage(storage, 'HelloFlow', pkg);
    await storeCodePackage(storage, 'HelloFlow', pkg);
    assert.equal(storage.writes, 1);
    const key = `HelloFlow/data/${pkg.sha.slice(0, 2)}/${pkg.sha}`;
    assert.equal(codePackageKey('HelloFlow', pkg.sha), key);
    const stored = storage.blobs.get(key)!;
    assert.equal(stored[0], 0x00);
    assert.deepEqual(stored.subarray(1), pkg.archive);

    const loaded = await loadCodePackage(storage, 'HelloFlow', pkg.sha);
    assert.equal(loaded.sha, pkg.sha);
    assert.deepEqual(loaded.archive, pkg.archive);
    assert.deepEqual(loaded.bundle, pkg.bundle);
    assert.deepEqual(loaded.sourceMap, pkg.sourceMap);
    assert.deepEqual(loaded.manifest, pkg.manifest);
    assert.equal(loaded.buildMs, 0);
  });

  it('load accepts a gzip-marked blob (header 0x01) from the content store', async () => {
    const storage = new MemoryStorage();
    const pkg = fakePackage();
    const key = codePackageKey('F', pkg.sha);
    await storage.put(key, Buffer.concat([Buffer.from([0x01]), gzipSync(pkg.archive)]));
    assert.deepEqual((await loadCodePackage(storage, 'F', pkg.sha)).bundle, pkg.bundle);
  });

  it('load reports missing, damaged and mismatched packages', async () => {
    const storage = new MemoryStorage();
    const pkg = fakePackage();
    await assert.rejects(loadCodePackage(storage, 'F', pkg.sha), (e: unknown) => {
      assert.ok(e instanceof PackageNotFoundError);
      assert.equal(e.key, codePackageKey('F', pkg.sha));
      assert.equal(e.sha, pkg.sha);
      return true;
    });
    const key = codePackageKey('F', pkg.sha);
    await storage.put(key, Buffer.concat([Buffer.from([0x00]), pkg.archive.subarray(0, 40)]));
    await assert.rejects(loadCodePackage(storage, 'F', pkg.sha), /its sha256 is/);
    await storage.put(key, Buffer.concat([Buffer.from([0x07]), pkg.archive]));
    await assert.rejects(loadCodePackage(storage, 'F', pkg.sha), /header byte 0x7/);
    await storage.put(key, Buffer.alloc(0));
    await assert.rejects(loadCodePackage(storage, 'F', pkg.sha), PackageFormatError);
  });
});
