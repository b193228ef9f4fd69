import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { packArchive, sha256Hex, unpackCodePackage } from './archive.js';
import { PackageFormatError } from './errors.js';
import { readTar, readTarEntries, streamTarEntries, TAR_MTIME, writeTar } from './tar.js';
import type { PackageManifest } from './types.js';

const manifest: PackageManifest = {
  version: 1,
  flowFile: 'flow.ts',
  entry: 'bundle.mjs',
  externals: [],
  inputs: ['flow.ts'],
  nodeMajor: 20,
};

describe('tar', () => {
  it('tar round trip keeps names and bytes, sorted, with fixed metadata', () => {
    const big = Buffer.alloc(1300, 7);
    const tar = writeTar([
      { name: 'z.txt', data: Buffer.from('last') },
      { name: 'a/b.bin', data: big },
      { name: 'empty', data: Buffer.alloc(0) },
    ]);
    assert.equal(tar.length % 512, 0);
    const files = readTar(tar);
    assert.deepEqual([...files.keys()], ['a/b.bin', 'empty', 'z.txt']);
    assert.deepEqual(files.get('a/b.bin'), big);
    assert.equal(files.get('empty')!.length, 0);
    assert.equal(files.get('z.txt')!.toString(), 'last');
    // First header: mode, uid, mtime and magic as promised.
    assert.equal(tar.subarray(100, 107).toString(), '0000644');
    assert.equal(tar.subarray(108, 115).toString(), '0000000');
    assert.equal(Number.parseInt(tar.subarray(136, 147).toString(), 8), TAR_MTIME);
    assert.equal(tar.subarray(257, 263).toString(), 'ustar\0');
    assert.equal(
      tar.subarray(265, 297).every((b) => b === 0),
      true,
      'empty uname',
    );
  });

  it('tar reader rejects damaged archives', () => {
    const tar = writeTar([{ name: 'a', data: Buffer.from('x') }]);
    const badSum = Buffer.from(tar);
    badSum[0] = 0x62;
    assert.throws(() => readTar(badSum), /checksum mismatch/);
    assert.throws(() => readTar(tar.subarray(0, 512)), /truncated/);
    assert.throws(() => readTar(Buffer.alloc(1024, 1)), PackageFormatError);
    assert.throws(() => writeTar([{ name: 'x'.repeat(101), data: Buffer.alloc(0) }]), RangeError);
  });

  it('packArchive is deterministic and unpacks to the same files', () => {
    const a = packArchive(Buffer.from('bundle'), Buffer.from('{}'), manifest);
    const b = packArchive(Buffer.from('bundle'), Buffer.from('{}'), { ...manifest });
    assert.deepEqual(a, b);
    assert.equal(sha256Hex(a), sha256Hex(b));
    assert.equal(a.readUInt32LE(4), 0, 'gzip header mtime is 0');
    const { files, manifest: m } = unpackCodePackage(a);
    assert.deepEqual(m, manifest);
    assert.equal(files.get('bundle.mjs')!.toString(), 'bundle');
    assert.equal(files.get('bundle.mjs.map')!.toString(), '{}');
    assert.notEqual(
      sha256Hex(packArchive(Buffer.from('bundle2'), Buffer.from('{}'), manifest)),
      sha256Hex(a),
    );
  });

  it('unpackCodePackage rejects what it did not write', () => {
    assert.throws(() => unpackCodePackage(Buffer.from('hello, not gzip at all')), /not a gzip stream/);
    const good = packArchive(Buffer.from('b'), Buffer.from('{}'), manifest);
    assert.throws(() => unpackCodePackage(good.subarray(0, good.length - 10)), /gzip stream is damaged/);
    const otherFiles = gzipSync(writeTar([{ name: 'bundle.mjs', data: Buffer.from('x') }]));
    assert.throws(() => unpackCodePackage(otherFiles), /archive holds \[bundle\.mjs\]/);
    const badManifest = gzipSync(
      writeTar([
        { name: 'bundle.mjs', data: Buffer.from('x') },
        { name: 'bundle.mjs.map', data: Buffer.from('{}') },
        { name: 'manifest.json', data: Buffer.from('{"version":2}') },
      ]),
    );
    assert.throws(
      () => unpackCodePackage(badManifest),
      (e: unknown) => {
        assert.ok(e instanceof PackageFormatError);
        assert.match(e.message, /version 1/);
        return true;
      },
    );
  });

  it('long paths go into the ustar prefix, and the executable bit survives', () => {
    const deep = `node_modules/@scope/a-rather-long-package-name/${'nested/'.repeat(12)}file.js`;
    assert.ok(Buffer.byteLength(deep) > 100);
    const tar = writeTar([
      { name: deep, data: Buffer.from('x') },
      { name: 'bin/tool', data: Buffer.from('#!/bin/sh\n'), executable: true },
    ]);
    assert.deepEqual([...readTar(tar).keys()], ['bin/tool', deep]);
    const entries = readTarEntries(tar);
    assert.deepEqual(
      entries.map((e) => [e.name, e.executable]),
      [
        ['bin/tool', true],
        [deep, false],
      ],
    );
    assert.throws(() => writeTar([{ name: `a/${'x'.repeat(101)}`, data: Buffer.alloc(0) }]), RangeError);
  });

  it('streamTarEntries reads the same entries from a stream of odd-sized chunks', async () => {
    const big = Buffer.alloc(70_000, 9);
    const tar = writeTar([
      { name: 'b/big.bin', data: big, executable: true },
      { name: 'a.txt', data: Buffer.from('hi') },
      { name: 'empty', data: Buffer.alloc(0) },
    ]);
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let i = 0; i < tar.length; i += 777) yield tar.subarray(i, i + 777);
    }
    const entries = [];
    for await (const e of streamTarEntries(chunks())) entries.push(e);
    assert.deepEqual(
      entries.map((e) => [e.name, e.data.length, e.executable]),
      [
        ['a.txt', 2, false],
        ['b/big.bin', 70_000, true],
        ['empty', 0, false],
      ],
    );
    assert.deepEqual(entries[1]!.data, big);
    async function* cut(): AsyncGenerator<Buffer> {
      yield tar.subarray(0, 1000);
    }
    await assert.rejects(async () => {
      for await (const _ of streamTarEntries(cut())) {
      }
    }, PackageFormatError);
  });
});
