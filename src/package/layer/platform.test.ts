import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LayerPlatformError } from './errors.js';
import {
  binaryFits,
  binaryPlatform,
  fitsPlatform,
  hostPlatform,
  looksLikePlatformName,
  parsePlatform,
  platformLabel,
  samePlatform,
} from './platform.js';

const arm = parsePlatform('linux-arm64');
const x64 = parsePlatform('linux-x64');

describe('platform', () => {
  it('parsePlatform reads the spellings of npm, Docker and AWS, and refuses the rest', () => {
    for (const text of ['linux-arm64', 'linux/arm64', 'ARM64', 'aarch64'])
      assert.deepEqual(parsePlatform(text), arm);
    for (const text of ['linux-x64', 'linux/amd64', 'X86_64', 'x64'])
      assert.deepEqual(parsePlatform(text), x64);
    assert.throws(() => parsePlatform('darwin-arm64'), LayerPlatformError);
    assert.throws(() => parsePlatform('linux-riscv64'), /use linux-x64 or linux-arm64/);
    assert.equal(platformLabel(arm), 'linux-arm64');
    assert.equal(platformLabel({ os: 'linux', cpu: 'x64', libc: 'musl' }), 'linux-x64-musl');
  });

  it('fitsPlatform follows npm: allowed lists, !negations, libc on linux only', () => {
    assert.equal(fitsPlatform({ os: ['linux'], cpu: ['arm64'], libc: ['glibc'] }, arm), true);
    assert.equal(fitsPlatform({ os: ['linux'], cpu: ['arm64'], libc: ['musl'] }, arm), false);
    assert.equal(fitsPlatform({ os: ['linux'], cpu: ['x64'] }, arm), false);
    assert.equal(fitsPlatform({ os: ['!win32'] }, arm), true);
    assert.equal(fitsPlatform({ cpu: ['!arm64'] }, arm), false);
    assert.equal(fitsPlatform({ os: ['darwin'], libc: ['glibc'] }, { os: 'darwin', cpu: 'arm64' }), true);
    assert.equal(fitsPlatform({}, arm), true);
  });

  it('platform builds are recognised by name when not installed', () => {
    assert.equal(looksLikePlatformName('@duckdb/node-bindings-darwin-arm64'), true);
    assert.equal(looksLikePlatformName('@img/sharp-linux-x64'), true);
    assert.equal(looksLikePlatformName('@img/sharp-wasm32'), true);
    assert.equal(looksLikePlatformName('fsevents'), false);
    assert.equal(looksLikePlatformName('linux-tools'), false);
  });

  it('binaryPlatform reads ELF machines, Mach-O and PE headers', () => {
    const elf = (machine: number): Buffer => {
      const b = Buffer.alloc(64);
      b.writeUInt32BE(0x7f454c46, 0);
      b[5] = 1;
      b.writeUInt16LE(machine, 18);
      return b;
    };
    assert.deepEqual(binaryPlatform(elf(62)), { os: 'linux', cpu: 'x64' });
    assert.deepEqual(binaryPlatform(elf(183)), { os: 'linux', cpu: 'arm64' });
    assert.equal(binaryFits(binaryPlatform(elf(62))!, arm), false);
    assert.equal(binaryFits(binaryPlatform(elf(183))!, arm), true);
    assert.deepEqual(binaryPlatform(Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0, 0, 0, 0])), { os: 'darwin' });
    assert.deepEqual(binaryPlatform(Buffer.from('MZ\x90\x00')), { os: 'win32' });
    assert.equal(binaryPlatform(Buffer.from('not a binary')), undefined);
  });

  it('hostPlatform is this process, and the same platform as itself', () => {
    const host = hostPlatform();
    assert.equal(host.os, process.platform);
    assert.equal(host.cpu, process.arch);
    assert.equal(samePlatform(host, { ...host }), true);
    assert.equal(samePlatform(arm, x64), false);
  });
});
