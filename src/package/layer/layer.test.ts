import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { buildCodePackage } from '../build.js';
import { PackageBuildError } from '../errors.js';
import type { FrameworkRoot } from '../framework-root.js';
import { materializeCodePackage } from '../materialize.js';
import { readTar } from '../tar.js';
import { LayerInstallError, LayerPlatformError, LayerTooLargeError } from './errors.js';
import { hostPlatform, parsePlatform } from './platform.js';
import { traceLayer } from './trace.js';

const run = promisify(execFile);

const FAKE_INDEX = 'export class FlowSpec {}\nexport const step = (m) => m;\n';
const FAKE_ENTRY = `
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
export function isMainModule(url) {
  return process.argv[1] !== undefined && pathToFileURL(realpathSync(process.argv[1])).href === url;
}
export async function taskMain(mod) { console.log(JSON.stringify(await mod.info())); }
`;

/** An ELF header for x86-64 (e_machine 62) or aarch64 (183): what the binary check reads. */
function elf(machine: number): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // 64-bit
  b[5] = 1; // little-endian
  b.writeUInt16LE(machine, 18);
  return b;
}

let base: string;
let proj: string;
let cacheDir: string;
let fw: FrameworkRoot;

async function put(file: string, data: string | Buffer): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, data);
  return file;
}

const nm = (...p: string[]): string => path.join(proj, 'node_modules', ...p);
const layerNames = async (archivePath: string): Promise<string[]> => [
  ...readTar(gunzipSync(await readFile(archivePath))).keys(),
];

before(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'stepflow-layer-'));
  proj = path.join(base, 'proj');
  cacheDir = path.join(base, 'cache');
  fw = { dir: path.join(base, 'fw'), ext: 'js' };
  await put(path.join(fw.dir, 'index.js'), FAKE_INDEX);
  await put(path.join(fw.dir, 'task', 'entry.js'), FAKE_ENTRY);
  // A platform picker like @duckdb/node-bindings: a static require per platform, only linux-x64 installed.
  await put(
    nm('picker', 'package.json'),
    JSON.stringify({
      name: 'picker',
      version: '1.0.0',
      main: 'index.js',
      optionalDependencies: { 'picker-linux-x64': '1.0.0', 'picker-darwin-arm64': '1.0.0' },
    }),
  );
  await put(
    nm('picker', 'index.js'),
    "module.exports = process.platform === 'darwin' ? require('picker-darwin-arm64/picker.node') : " +
      "require('picker-linux-x64/picker.node');\n",
  );
  await put(
    nm('picker-linux-x64', 'package.json'),
    JSON.stringify({ name: 'picker-linux-x64', version: '1.0.0', os: ['linux'], cpu: ['x64'] }),
  );
  await put(nm('picker-linux-x64', 'picker.node'), elf(62));
  // A package reading a data file next to its module (like pdfkit's AFM fonts).
  await put(
    nm('datafile', 'package.json'),
    '{ "name": "datafile", "version": "2.0.0", "main": "lib/index.js" }',
  );
  await put(
    nm('datafile', 'lib', 'index.js'),
    "const fs = require('fs');\nconst path = require('path');\n" +
      "module.exports = () => fs.readFileSync(path.join(__dirname, '..', 'data', 'words.txt'), 'utf8').trim();\n",
  );
  await put(nm('datafile', 'data', 'words.txt'), 'read from the layer\n');
  // A WASM package.
  await put(nm('wasmy', 'package.json'), '{ "name": "wasmy", "version": "0.1.0", "main": "index.js" }');
  await put(
    nm('wasmy', 'index.js'),
    "module.exports = require('fs').readFileSync(require('path').join(__dirname, 'mod.wasm')).length;\n",
  );
  await put(nm('wasmy', 'mod.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  // A package with an optional (non-platform) dependency that is not installed.
  await put(
    nm('soft', 'package.json'),
    '{ "name": "soft", "version": "1.0.0", "optionalDependencies": { "soft-extra": "1" } }',
  );
  await put(
    nm('soft', 'index.js'),
    "let extra = null;\ntry { extra = require('soft-extra'); } catch {}\nmodule.exports = extra === null ? 'no extra' : 'extra';\n",
  );
});

after(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('layer', () => {
  it('absent optional platform packages do not stop the build; the picker goes into the layer with the fitting build', async () => {
    const file = await put(
      path.join(proj, 'picker-flow.ts'),
      "import p from 'picker';\nexport const info = async () => typeof p;\n",
    );
    const pkg = await buildCodePackage(file, {
      frameworkRoot: fw,
      cacheDir,
      layer: { platform: parsePlatform('linux-x64') },
    });
    assert.deepEqual(pkg.manifest.externals, ['picker']);
    assert.ok(pkg.layer, 'a layer was built');
    assert.deepEqual(await layerNames(pkg.layer.archivePath), [
      'node_modules/picker-linux-x64/package.json',
      'node_modules/picker-linux-x64/picker.node',
      'node_modules/picker/index.js',
      'node_modules/picker/package.json',
    ]);
    assert.deepEqual(
      pkg.layer.packages.map((p) => p.name),
      ['picker', 'picker-linux-x64'],
    );
  });

  it('a picker with no build for the job platform is refused, naming the package and the platform', async () => {
    await assert.rejects(
      traceLayer({ resolveFrom: proj, specifiers: ['picker'], platform: parsePlatform('linux-arm64') }),
      (e: unknown) => {
        assert.ok(e instanceof LayerPlatformError);
        assert.equal(e.packageName, 'picker');
        assert.equal(e.platform, 'linux-arm64');
        assert.match(e.message, /picker has no build for linux-arm64/);
        return true;
      },
    );
  });

  it('a native add-on whose only binary is for another cpu is refused for that platform', async () => {
    await put(
      nm('gyp-addon', 'package.json'),
      '{ "name": "gyp-addon", "version": "1.0.0", "gypfile": true, "main": "index.js" }',
    );
    await put(nm('gyp-addon', 'index.js'), "module.exports = require('./build/Release/addon.node');\n");
    await put(nm('gyp-addon', 'build', 'Release', 'addon.node'), elf(62));
    const traced = await traceLayer({
      resolveFrom: proj,
      specifiers: ['gyp-addon'],
      platform: parsePlatform('linux-x64'),
    });
    assert.ok(traced.files.some((f) => f.name === 'node_modules/gyp-addon/build/Release/addon.node'));
    await assert.rejects(
      traceLayer({ resolveFrom: proj, specifiers: ['gyp-addon'], platform: parsePlatform('linux-arm64') }),
      /gyp-addon is a native add-on with no build for linux-arm64/,
    );
  });

  it('packages reading files next to their modules, WASM packages and absent optional deps: the bundle runs from bundle + layer', async () => {
    const file = await put(
      path.join(proj, 'data-flow.ts'),
      "import words from 'datafile';\nimport size from 'wasmy';\nimport soft from 'soft';\n" +
        'export const info = async () => ({ words: words(), size, soft });\n',
    );
    const pkg = await buildCodePackage(file, {
      frameworkRoot: fw,
      cacheDir,
      layer: { platform: hostPlatform() },
    });
    assert.deepEqual(pkg.manifest.externals, ['datafile', 'wasmy']);
    const names = await layerNames(pkg.layer!.archivePath);
    assert.ok(names.includes('node_modules/datafile/data/words.txt'), names.join(', '));
    assert.ok(names.includes('node_modules/wasmy/mod.wasm'), names.join(', '));
    assert.ok(!names.some((n) => n.startsWith('node_modules/soft/')), 'soft is bundled');
    // Run it from somewhere the project's node_modules cannot be reached: only the layer serves it.
    const elsewhere = path.join(base, 'elsewhere');
    await mkdir(elsewhere, { recursive: true });
    const bundlePath = await materializeCodePackage(pkg, elsewhere, { cacheDir });
    assert.match(bundlePath, new RegExp(`${pkg.sha}-${pkg.layer!.sha256.slice(0, 16)}`));
    const { stdout } = await run(process.execPath, [bundlePath]);
    assert.deepEqual(JSON.parse(stdout), { words: 'read from the layer', size: 8, soft: 'no extra' });
  });

  it('the same inputs give the same layer bytes, built afresh in another cache', async () => {
    const file = path.join(proj, 'data-flow.ts');
    const a = await buildCodePackage(file, {
      frameworkRoot: fw,
      cacheDir,
      layer: { platform: hostPlatform() },
    });
    const b = await buildCodePackage(file, {
      frameworkRoot: fw,
      cacheDir: path.join(base, 'cache-2'),
      layer: { platform: hostPlatform() },
    });
    assert.equal(a.layer!.sha256, b.layer!.sha256);
    assert.notEqual(a.layer!.archivePath, b.layer!.archivePath);
  });

  it('provided packages are left external and not shipped', async () => {
    const file = path.join(proj, 'data-flow.ts');
    const pkg = await buildCodePackage(file, {
      frameworkRoot: fw,
      cacheDir,
      layer: { platform: hostPlatform(), provided: ['wasmy', 'soft'] },
    });
    assert.deepEqual(pkg.manifest.externals, ['datafile', 'soft', 'wasmy']);
    const names = await layerNames(pkg.layer!.archivePath);
    assert.ok(
      names.every((n) => n.startsWith('node_modules/datafile/')),
      names.join(', '),
    );
  });

  it('a layer over the size limit is refused with its packages and sizes', async () => {
    const file = path.join(proj, 'data-flow.ts');
    await assert.rejects(
      buildCodePackage(file, {
        frameworkRoot: fw,
        cacheDir,
        layerMaxBytes: 10,
        layer: { platform: hostPlatform() },
      }),
      (e: unknown) => {
        assert.ok(e instanceof LayerTooLargeError);
        assert.equal(e.limitBytes, 10);
        assert.deepEqual(e.packages.map((p) => p.name).sort(), ['datafile@2.0.0', 'wasmy@0.1.0']);
        assert.match(e.message, /over the limit of 0\.0 MB \(STEPFLOW_LAYER_MAX_MB\)/);
        assert.match(e.message, /datafile@2\.0\.0: /);
        return true;
      },
    );
  });

  it('a package that is really missing stops the build with the import site and what to install', async () => {
    const file = await put(
      path.join(proj, 'missing-flow.ts'),
      "import { step } from 'stepflow';\nimport pad from 'left-pad-nowhere/sub';\nexport { step, pad };\n",
    );
    await assert.rejects(buildCodePackage(file, { frameworkRoot: fw, cacheDir }), (e: unknown) => {
      assert.ok(e instanceof PackageBuildError);
      assert.equal(e.messages[0]?.file, file);
      assert.equal(e.messages[0]?.line, 2);
      assert.match(e.message, /missing-flow\.ts:2:\d+: Could not resolve "left-pad-nowhere\/sub"/);
      assert.match(e.message, /`npm install left-pad-nowhere`/);
      return true;
    });
  });

  it('a bundle folder linked to a layer unpacked in another (removed) cache is linked again', async () => {
    const file = path.join(proj, 'data-flow.ts');
    const elsewhere = path.join(base, 'relink');
    await mkdir(elsewhere, { recursive: true });
    const other = path.join(base, 'cache-gone');
    const first = await buildCodePackage(file, {
      frameworkRoot: fw,
      cacheDir: other,
      layer: { platform: hostPlatform() },
    });
    await materializeCodePackage(first, elsewhere, { cacheDir: other });
    await rm(other, { recursive: true, force: true });
    const pkg = await buildCodePackage(file, {
      frameworkRoot: fw,
      cacheDir,
      layer: { platform: hostPlatform() },
    });
    const bundlePath = await materializeCodePackage(pkg, elsewhere, { cacheDir });
    const { stdout } = await run(process.execPath, [bundlePath]);
    assert.equal(JSON.parse(stdout).words, 'read from the layer');
  });

  it('a layer for another platform without a lockfile is refused, saying what to run', async () => {
    const file = path.join(proj, 'picker-flow.ts');
    const other = hostPlatform().cpu === 'arm64' ? 'linux-x64' : 'linux-arm64';
    await assert.rejects(
      buildCodePackage(file, { frameworkRoot: fw, cacheDir, layer: { platform: parsePlatform(other) } }),
      (e: unknown) => {
        assert.ok(e instanceof LayerInstallError);
        assert.equal(e.platform, other);
        assert.match(e.message, new RegExp(`for ${other} .*needs the project's package-lock\\.json`));
        assert.match(e.message, /Run `npm install`/);
        return true;
      },
    );
  });
});
