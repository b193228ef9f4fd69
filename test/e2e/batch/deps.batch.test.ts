/**
 * Real dependencies on the local AWS Batch stand-in (moto + dockerd + the node-only image): a flow importing
 * DuckDB and sharp (native), tiktoken (WASM) and pdfkit (data files next to its modules) runs with
 * `--with batch`; the dependency layer is stored once by content (a second identical run uploads nothing);
 * an image the test builds with sharp in /app/node_modules is used instead of the layer.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Flow, setDatastore } from '../../../src/client/index.js';
import { S3Storage } from '../../../src/datastore/s3/s3-storage.js';
import { readUstarEntries } from '../../../src/plugins/batch/bootstrap/ustar.js';
import { type BatchTestEnv, batchCliEnv, batchEnv, readBatchEnv } from '../../support/batch.js';
import { type CliResult, runCli, type Workspace, workspace } from '../helpers.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const FLOW = join(HERE, 'flows', 'deps-batch-flow.ts');
const REPO = join(HERE, '..', '..', '..');

let env: BatchTestEnv | undefined;
let ws: Workspace;
let root: string;
let storage: S3Storage;
let imageTag: string | undefined;

before(async () => {
  ws = await workspace();
  env = readBatchEnv();
  if (!env) return;
  root = `s3://${env.bucket}/e2e-deps-${Date.now()}`;
  Object.assign(process.env, batchCliEnv(env));
  setDatastore({ kind: 's3', root });
  storage = new S3Storage(root, {
    endpoint: env.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

after(async () => {
  setDatastore(undefined);
  storage?.close();
  if (imageTag) execFileSync('docker', ['image', 'rm', '-f', imageTag], { stdio: 'ignore' });
  await ws.cleanup();
});

async function run(batchOptions = ''): Promise<CliResult & { runId: string; out: string }> {
  const result = await runCli(
    [
      'run',
      FLOW,
      '--datastore',
      's3',
      '--datastore-root',
      root,
      '--with',
      `batch:memory=1024${batchOptions}`,
    ],
    { cwd: ws.dir, env: batchCliEnv(env as BatchTestEnv) },
  );
  const runId = (result.stdout.split('\n')[0] ?? '').split('/')[1] ?? '';
  return { ...result, runId, out: result.stdout + result.stderr };
}

/** Every object of the flow's content-addressed area, with its ETag and LastModified (what a PUT changes). */
async function dataObjects(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const prefix = `${root.replace(/^s3:\/\/[^/]+\//, '')}/DepsBatchFlow/data/`;
  let token: string | undefined;
  do {
    const url = new URL(`${env!.endpoint}/${env!.bucket}`);
    url.searchParams.set('list-type', '2');
    url.searchParams.set('prefix', prefix);
    if (token) url.searchParams.set('continuation-token', token);
    const xml = await (await fetch(url)).text();
    for (const m of xml.matchAll(
      /<Key>([^<]+)<\/Key><LastModified>([^<]+)<\/LastModified><ETag>([^<]+)<\/ETag>/g,
    )) {
      out.set(m[1]!, `${m[2]} ${m[3]}`);
    }
    token = /<NextContinuationToken>([^<]+)</.exec(xml)?.[1];
  } while (token);
  return out;
}

/** The layer's sha from the launcher's notice, and its files (listed from the stored object). */
async function layerFiles(out: string): Promise<{ sha: string; files: string[] }> {
  const sha = /dependency layer for linux-x64 \(\d+ packages, [\d.]+ MiB, ([0-9a-f]{12})\)/.exec(out)?.[1];
  assert.ok(sha, `the run names its layer:\n${out}`);
  const keys = [...(await dataObjects()).keys()].filter((k) => k.split('/').at(-1)!.startsWith(sha));
  assert.equal(keys.length, 1);
  const key = keys[0]!.slice(keys[0]!.indexOf('DepsBatchFlow/'));
  const blob = await storage.get(key);
  assert.ok(blob && blob[0] === 0);
  return { sha, files: readUstarEntries(gunzipSync(blob.subarray(1))).map((e) => e.path) };
}

describe('@batch with real dependencies on the local stand-in', () => {
  let firstLayer: { sha: string; files: string[] } | undefined;

  it('runs DuckDB, sharp, a WASM package and a data-file package in containers from the dependency layer', async (t) => {
    if (!batchEnv(t)) return;
    const first = await run();
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /deps: total=22 width=16 tokens=\d+ pdf=true/);
    assert.match(first.out, /on batch=true/);
    assert.match(
      first.out,
      /dependency layer for linux-x64 \(\d+ packages, [\d.]+ MiB, [0-9a-f]{12}\): uploaded\./,
    );
    assert.match(first.out, /job platforms: linux-x64/);
    firstLayer = await layerFiles(first.out);
    for (const f of [
      'node_modules/@duckdb/node-bindings-linux-x64/duckdb.node',
      'node_modules/tiktoken/tiktoken_bg.wasm',
      'node_modules/sharp/package.json',
    ]) {
      assert.ok(firstLayer.files.includes(f), `${f} in the layer`);
    }
    assert.ok(firstLayer.files.some((f) => /^node_modules\/@img\/sharp-linux-x64\/lib\/.*\.node$/.test(f)));
    assert.ok(
      firstLayer.files.some((f) => f.startsWith('node_modules/pdfkit/js/data/')),
      'pdfkit fonts',
    );
    const r = await new Flow('DepsBatchFlow', { namespace: null }).run(first.runId);
    const image = await (await r.step('image')).task();
    const from = (await image.data(['sharpFrom'])).sharpFrom as string;
    assert.match(from, /^file:\/\/\/.*\/stepflow-code-[0-9a-f]{16}-[0-9a-f]{16}\/node_modules\/sharp\//);
  });

  it('a second identical run uploads neither the layer nor the code package', async (t) => {
    if (!batchEnv(t) || !firstLayer) return;
    const before = await dataObjects();
    const second = await run();
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, /dependency layer for linux-x64 .*: already stored, nothing uploaded\./);
    const afterRun = await dataObjects();
    const layerKey = [...before.keys()].find(
      (k) => k.endsWith(`/${firstLayer!.sha}`) || k.includes(`/${firstLayer!.sha}`),
    );
    assert.ok(layerKey);
    assert.equal(afterRun.get(layerKey), before.get(layerKey), 'the layer object was not written again');
    const rewritten = [...before].filter(([k, v]) => afterRun.get(k) !== v).map(([k]) => k);
    assert.deepEqual(rewritten, [], 'nothing stored before was written again');
  });

  it('an image with sharp in /app/node_modules is used instead of the layer (imagePackages)', async (t) => {
    const e = batchEnv(t);
    if (!e || !firstLayer) return;
    // The image: the stand-in's, plus sharp and its dependencies copied in (no registry, no docker build).
    const dir = mkdtempSync(join(tmpdir(), 'stepflow-image-'));
    try {
      const modules = join(dir, 'node_modules');
      mkdirSync(modules);
      for (const name of ['sharp', '@img', 'detect-libc', 'semver']) {
        cpSync(join(REPO, 'node_modules', name), join(modules, name), { recursive: true, dereference: true });
      }
      const container = execFileSync('docker', ['create', e.image, 'node', '--version'], {
        encoding: 'utf8',
      }).trim();
      try {
        // The image has no /app: `docker cp <dir> c:/app` makes /app a copy of <dir>, so /app/node_modules.
        execFileSync('docker', ['cp', dir, `${container}:/app`]);
        imageTag = `stepflow/node-job:sharp-${Date.now()}`;
        execFileSync('docker', ['commit', container, imageTag], { stdio: 'ignore' });
      } finally {
        execFileSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const withImage = await run(`,image=${imageTag},image_packages=sharp`);
    assert.equal(withImage.code, 0, withImage.out);
    assert.match(withImage.out, /deps: total=22 width=16 /);
    assert.match(withImage.out, /; from the image: sharp\./);
    const layer = await layerFiles(withImage.out);
    assert.notEqual(layer.sha, firstLayer.sha);
    assert.ok(!layer.files.some((f) => f.startsWith('node_modules/sharp/')), 'sharp is not shipped');
    assert.ok(!layer.files.some((f) => f.startsWith('node_modules/@img/')), "nor sharp's native packages");
    assert.ok(layer.files.includes('node_modules/@duckdb/node-bindings-linux-x64/duckdb.node'));
    const r = await new Flow('DepsBatchFlow', { namespace: null }).run(withImage.runId);
    const image = await (await r.step('image')).task();
    assert.match(
      (await image.data(['sharpFrom'])).sharpFrom as string,
      /^file:\/\/\/app\/node_modules\/sharp\//,
    );
  });
});
