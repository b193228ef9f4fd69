import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sha256Hex } from './archive.js';
import { materializeCodePackage } from './materialize.js';

function fakePackage(tag: string) {
  const bundle = Buffer.from(
    `export const tag = ${JSON.stringify(tag)};\n//# sourceMappingURL=bundle.mjs.map\n`,
  );
  const sourceMap = Buffer.from(JSON.stringify({ version: 3, sources: ['../../../flow.ts'], mappings: '' }));
  return { sha: sha256Hex(Buffer.concat([bundle, sourceMap])), bundle, sourceMap };
}

test('materialize writes <flowDir>/.stepflow-cache/code/<sha>/ once, also under concurrent calls', async () => {
  const flowDir = await mkdtemp(path.join(os.tmpdir(), 'stepflow-mat-'));
  try {
    const pkg = fakePackage('a');
    const paths = await Promise.all([1, 2, 3, 4].map(() => materializeCodePackage(pkg, flowDir)));
    const expected = path.join(flowDir, '.stepflow-cache', 'code', pkg.sha, 'bundle.mjs');
    for (const p of paths) assert.equal(p, expected);
    assert.deepEqual(await readFile(expected), pkg.bundle);
    assert.deepEqual(await readFile(`${expected}.map`), pkg.sourceMap);
    assert.deepEqual(
      await readdir(path.join(flowDir, '.stepflow-cache', 'code')),
      [pkg.sha],
      'no temp folders left',
    );
    assert.equal(await readFile(path.join(flowDir, '.stepflow-cache', '.gitignore'), 'utf8'), '*\n');
    assert.equal(await materializeCodePackage(pkg, flowDir), expected);
    const mod = (await import(expected)) as { tag: string };
    assert.equal(mod.tag, 'a');
  } finally {
    await rm(flowDir, { recursive: true, force: true });
  }
});

test('materialize falls back to the temp folder when the flow folder cannot hold the cache', async () => {
  const flowDir = await mkdtemp(path.join(os.tmpdir(), 'stepflow-mat-'));
  const pkg = fakePackage(`fallback-${path.basename(flowDir)}`);
  const fallbackDir = path.join(os.tmpdir(), 'stepflow-code', pkg.sha);
  try {
    // A file where the cache folder should be: nothing can be written below it (even as root).
    await writeFile(path.join(flowDir, '.stepflow-cache'), 'not a folder');
    const bundlePath = await materializeCodePackage(pkg, flowDir);
    assert.equal(bundlePath, path.join(fallbackDir, 'bundle.mjs'));
    assert.deepEqual(await readFile(bundlePath), pkg.bundle);
    const map = JSON.parse(await readFile(`${bundlePath}.map`, 'utf8')) as { sources: string[] };
    assert.deepEqual(map.sources, [new URL(`file://${path.join(flowDir, 'flow.ts')}`).href]);
  } finally {
    await rm(flowDir, { recursive: true, force: true });
    await rm(fallbackDir, { recursive: true, force: true });
  }
});
