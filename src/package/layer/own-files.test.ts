import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mentionsOwnLocation } from './detect.js';
import { packagesReadingOwnFiles } from './own-files.js';

let base: string;

before(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'stepflow-own-files-'));
});

after(async () => {
  await rm(base, { recursive: true, force: true });
});

async function pkg(name: string, index: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = path.join(base, 'node_modules', name);
  await mkdir(path.join(dir, 'data'), { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
  await writeFile(path.join(dir, 'index.js'), index);
  for (const [file, text] of Object.entries(extra)) await writeFile(path.join(dir, file), text);
  return dir;
}

describe('own-files', () => {
  it('only packages that read non-code files next to their modules are found; verdicts are cached', async () => {
    const reader = await pkg(
      'afm-reader',
      "const fs = require('fs');\nmodule.exports = fs.readFileSync(__dirname + '/data/Courier.afm', 'utf8');\n",
      { 'data/Courier.afm': 'StartFontMetrics 4.1\n' },
    );
    const namer = await pkg('dir-namer', "module.exports = require('path').basename(__dirname);\n");
    const jsonReader = await pkg(
      'json-reader',
      "module.exports = JSON.parse(require('fs').readFileSync(__dirname + '/package.json', 'utf8')).name;\n",
    );
    assert.equal(mentionsOwnLocation(await readFile(path.join(reader, 'index.js'), 'utf8')), true);
    const suspects = new Map([
      [reader, new Set([path.join(reader, 'index.js')])],
      [namer, new Set([path.join(namer, 'index.js')])],
      [jsonReader, new Set([path.join(jsonReader, 'index.js')])],
    ]);
    const cacheDir = path.join(base, 'cache');
    const found = await packagesReadingOwnFiles(suspects, cacheDir);
    assert.deepEqual([...found], [[reader, 'data/Courier.afm']]);
    assert.equal((await readdir(path.join(cacheDir, 'own-files'))).length, 3, 'one verdict per package');
    // Served from the verdicts: the same answer without tracing again.
    assert.deepEqual(
      [...(await packagesReadingOwnFiles(suspects, cacheDir))],
      [[reader, 'data/Courier.afm']],
    );
  });
});
