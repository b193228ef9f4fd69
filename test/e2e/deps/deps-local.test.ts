/**
 * Real packages that cannot be bundled (DuckDB and sharp: native; tiktoken: WASM; pdfkit: AFM files read
 * next to its module) in a flow run locally, from the bundle plus the dependency layer; and a layer
 * built for linux-arm64 on this machine, from the fixture project's lockfile with real npm.
 */
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { buildCodePackage } from '../../../src/package/build.js';
import { binaryPlatform, parsePlatform } from '../../../src/package/layer/platform.js';
import { readTar } from '../../../src/package/tar.js';
import { artifactsOf, REPO, runCli, taskIds, type Workspace, workspace } from '../helpers.js';

const FIXTURE = join(REPO, 'test', 'fixtures', 'deps');
const FLOW = join(FIXTURE, 'deps-flow.ts');

let ws: Workspace;
let cache: string;

before(async () => {
  ws = await workspace();
  cache = await mkdtemp(join(tmpdir(), 'stepflow-deps-cache-'));
});

after(async () => {
  await ws.cleanup();
  await rm(cache, { recursive: true, force: true });
});

describe('deps-local', () => {
  it('DuckDB, sharp, a WASM package and a data-file package work in a local run, from bundle + layer', async () => {
    const result = await runCli(['run', FLOW, '--datastore-root', ws.root], {
      cwd: ws.dir,
      env: { XDG_CACHE_HOME: cache },
    });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const [flow, runId] = (result.stdout.split('\n')[0] ?? '').split('/') as [string, string];
    const artifact = async (step: string): Promise<Record<string, unknown>> => {
      const [id] = await taskIds(ws.root, flow, runId, step);
      return artifactsOf(ws.root, flow, runId, step, id!);
    };
    assert.equal((await artifact('start')).total, 22, 'DuckDB summed the CSV');
    assert.equal((await artifact('image')).width, 16, 'sharp resized the image');
    assert.ok(Number((await artifact('tokenize')).tokens) > 3, 'tiktoken (WASM) encoded text');
    assert.ok(Number((await artifact('pdf')).pdfBytes) > 500, 'pdfkit read its Helvetica AFM file');
    assert.match(result.stdout, /total=22 width=16 tokens=\d+ pdf=\d+/);

    // The bundle's node_modules is the layer in the per-user cache, not the project's tree.
    const codeDir = join(FIXTURE, '.stepflow-cache', 'code');
    const withLayer = (await readdir(codeDir)).filter((d) => /^[0-9a-f]{64}-[0-9a-f]{16}$/.test(d));
    const links = await Promise.all(
      withLayer.map(async (d) => {
        const link = join(codeDir, d, 'node_modules');
        return (await lstat(link)).isSymbolicLink() ? readlink(link) : '';
      }),
    );
    const unpacked = join(cache, 'stepflow', 'layers', 'unpacked');
    assert.ok(
      links.some((l) => l.startsWith(unpacked)),
      `a bundle folder whose node_modules links into ${unpacked}: ${links.join(', ')}`,
    );
  });

  it("over STEPFLOW_LAYER_MAX_MB, the run is refused before anything runs, with each package's size", async () => {
    const root = join(ws.dir, 'refused');
    const result = await runCli(['run', FLOW, '--datastore-root', root], {
      cwd: ws.dir,
      env: { XDG_CACHE_HOME: cache, STEPFLOW_LAYER_MAX_MB: '1' },
    });
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /stepflow: error: The dependency layer for linux-\w+ is [\d.]+ MB, over the limit of 1\.0 MB/,
    );
    assert.match(result.stderr, /@duckdb\/node-bindings-linux-\w+@1\.5\.6-r\.1: [\d.]+ MB/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack');
    await assert.rejects(lstat(root), /ENOENT/, 'nothing stored');
  });

  it('a package that is not installed stops the run with the import site and what to install', async () => {
    const flow = join(ws.dir, 'missing-flow.ts');
    await writeFile(
      flow,
      "import { FlowSpec, step } from 'stepflow';\nimport left from 'left-pad-not-installed';\n" +
        'export default class MissingFlow extends FlowSpec {\n  @step start() { left; this.next(this.end); }\n  @step end() {}\n}\n',
    );
    const result = await runCli(['run', flow, '--datastore-root', ws.root], {
      cwd: ws.dir,
      env: { XDG_CACHE_HOME: cache },
    });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /missing-flow\.ts:2:\d+: Could not resolve "left-pad-not-installed"/);
    assert.match(result.stderr, /`npm install left-pad-not-installed`/);
  });

  it('a layer built for linux-arm64 on this machine holds the arm64 builds and not the x64 ones', async () => {
    const pkg = await buildCodePackage(FLOW, {
      cacheDir: cache,
      layer: { platform: parsePlatform('linux-arm64') },
    });
    assert.deepEqual(pkg.manifest.externals, ['@duckdb/node-bindings', 'pdfkit', 'sharp', 'tiktoken']);
    const layer = pkg.layer!;
    assert.deepEqual(layer.platform, parsePlatform('linux-arm64'));
    const files = readTar(gunzipSync(await readFile(layer.archivePath)));
    const names = [...files.keys()];
    const has = (prefix: string): boolean => names.some((n) => n.startsWith(prefix));
    assert.ok(has('node_modules/@img/sharp-linux-arm64/'), names.join('\n'));
    assert.ok(has('node_modules/@img/sharp-libvips-linux-arm64/'));
    assert.ok(has('node_modules/@duckdb/node-bindings-linux-arm64/'));
    assert.ok(!has('node_modules/@img/sharp-linux-x64/'), 'no x64 sharp');
    assert.ok(!has('node_modules/@img/sharp-libvips-linux-x64/'), 'no x64 libvips');
    assert.ok(!has('node_modules/@duckdb/node-bindings-linux-x64/'), 'no x64 DuckDB');
    assert.ok(names.includes('node_modules/tiktoken/tiktoken_bg.wasm'));
    assert.ok(names.some((n) => /^node_modules\/pdfkit\/js\/data\/Helvetica\.afm$/.test(n)));
    const duck = files.get('node_modules/@duckdb/node-bindings-linux-arm64/duckdb.node')!;
    assert.deepEqual(binaryPlatform(duck.subarray(0, 64)), { os: 'linux', cpu: 'arm64' });
    assert.ok(layer.packages.some((p) => p.name === '@img/sharp-linux-arm64' && p.version === '0.35.5'));
    assert.equal(layer.files, names.length);

    // Built again: the same bytes, from the cache.
    const again = await buildCodePackage(FLOW, {
      cacheDir: cache,
      layer: { platform: parsePlatform('linux-arm64') },
    });
    assert.equal(again.layer!.sha256, layer.sha256);
  });
});
