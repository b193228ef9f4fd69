import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sha256Hex } from './archive.js';
import { materializeCodePackage } from './materialize.js';

function fakePackage(tag: string) {
  const bundle = Buffer.from(
    `export const tag = ${JSON.stringify(tag)};\n//# sourceMappingURL=bundle.mjs.map\n`,
  );
  const sourceMap = Buffer.from(JSON.stringify({ version: 3, sources: ['../../../flow.ts'], mappings: '' }));
  return { sha: sha256Hex(Buffer.concat([bundle, sourceMap])), bundle, sourceMap };
}

describe('materialize', () => {
  it('materialize writes <flowDir>/.stepflow-cache/code/<sha>/ once, also under concurrent calls', async () => {
    const flowDir = await mkdtemp(path.join(os.tmpdir(), 'stepflow-mat-'));
    try {
      const pkg = fakePackage('a');
      const paths = await Promise.all([1, 2, 3, 4].map(() => materializeCodePackage(pkg, flowDir)));
      const expected = path.join(flowDir, '.stepflow-cache', 'code', pkg.sha, 'bundle.mjs');
      for (const p of paths) assert.equal(p, expected);
      assert.deepEqual(await readFile(expected), pkg.bundle);
      assert.deepEqual(await readFile(`${expected}.map`), pkg.sourceMap);
      assert.deepEqual(
        (await readdir(path.join(flowDir, '.stepflow-cache', 'code'))).sort(),
        [pkg.sha, `${pkg.sha}.sha256`],
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

  it('a tampered bundle in the flow folder cache is detected, rewritten and said', async () => {
    const flowDir = await mkdtemp(path.join(os.tmpdir(), 'stepflow-mat-'));
    try {
      const pkg = fakePackage('good');
      const notices: string[] = [];
      const bundlePath = await materializeCodePackage(pkg, flowDir, { notice: (l) => notices.push(l) });
      await writeFile(bundlePath, 'export const tag = "planted";\n');
      assert.equal(
        await materializeCodePackage(pkg, flowDir, { notice: (l) => notices.push(l) }),
        bundlePath,
      );
      assert.deepEqual(await readFile(bundlePath), pkg.bundle);
      assert.deepEqual(notices, [
        `stepflow: cache entry ${path.dirname(bundlePath)} did not match its recorded sha256; rebuilt`,
      ]);
    } finally {
      await rm(flowDir, { recursive: true, force: true });
    }
  });

  it('materialize falls back to the per-user cache, never the shared temp folder, when the flow folder cannot hold it', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'stepflow-mat-'));
    const flowDir = path.join(tmp, 'flow');
    const xdg = path.join(tmp, 'xdg');
    const sharedTmp = path.join(tmp, 'shared-tmp');
    const savedTmpdir = process.env.TMPDIR;
    const pkg = fakePackage('fallback');
    try {
      await mkdir(flowDir);
      // Another user planted a bundle where older versions looked: <os.tmpdir()>/stepflow-code/<sha>/.
      process.env.TMPDIR = sharedTmp;
      const planted = path.join(os.tmpdir(), 'stepflow-code', pkg.sha);
      await mkdir(planted, { recursive: true });
      await writeFile(path.join(planted, 'bundle.mjs'), 'export const tag = "planted";\n');
      await writeFile(path.join(planted, 'bundle.mjs.map'), '{}');
      // A file where the cache folder should be: nothing can be written below it (even as root).
      await writeFile(path.join(flowDir, '.stepflow-cache'), 'not a folder');
      const bundlePath = await materializeCodePackage(pkg, flowDir, { env: { XDG_CACHE_HOME: xdg } });
      assert.equal(bundlePath, path.join(xdg, 'stepflow', 'code', pkg.sha, 'bundle.mjs'));
      assert.deepEqual(await readFile(bundlePath), pkg.bundle);
      const map = JSON.parse(await readFile(`${bundlePath}.map`, 'utf8')) as { sources: string[] };
      assert.deepEqual(map.sources, [new URL(`file://${path.join(flowDir, 'flow.ts')}`).href]);
      const mod = (await import(bundlePath)) as { tag: string };
      assert.equal(mod.tag, 'fallback');
    } finally {
      if (savedTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmpdir;
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
