/**
 * The @batch path builds each step's dependency layer for the job queue's platform before anything is
 * submitted: a Graviton queue (fake Batch API: its compute environment lists m7g instances) on this x64
 * machine gets a linux-arm64 layer, installed from the fixture project's lockfile with real npm and
 * traced; a step whose image provides DuckDB gets a layer without it. The layers are read back from the
 * (in-memory, S3-like) datastore and listed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { RuntimeRunContext } from '../../src/decorators/contract.js';
import { buildDependencyLayer } from '../../src/package/layer/build-layer.js';
import type { CodePackage } from '../../src/package/types.js';
import { readUstarEntries } from '../../src/plugins/batch/bootstrap/ustar.js';
import { BatchLauncher } from '../../src/plugins/batch/jobs/launcher.js';
import { parseBatchOptions } from '../../src/plugins/batch/spec/options.js';
import { resolveBatch } from '../../src/plugins/batch/spec/resolve.js';
import { FakeBatchApi } from '../support/fake-batch-api.js';
import { S3Memory } from '../support/fake-launch.js';
import { REPO } from './helpers.js';

const FIXTURE = join(REPO, 'test', 'fixtures', 'deps');
const caches: string[] = [];
after(() => Promise.all(caches.map((c) => rm(c, { recursive: true, force: true }))));

function resolved(stepName: string, options: Record<string, unknown> = {}) {
  const where = { flowName: 'DepsFlow', stepName };
  return resolveBatch({
    where,
    options: parseBatchOptions(options, where),
    settings: { queue: 'graviton', runtimeLimitSeconds: 432000, defaultTags: {}, emitTags: false },
    nodeVersion: '20.19.0',
  });
}

describe('batch-layer-arm64', () => {
  it('a Graviton queue gets linux-arm64 layers (sharp-linux-arm64, not x64), built and stored before any SubmitJob', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'stepflow-arm64-cache-'));
    caches.push(cacheDir);
    const storage = new S3Memory();
    const notices: string[] = [];
    const run: RuntimeRunContext = {
      flowName: 'DepsFlow',
      runId: '1',
      storage,
      codePackage: { sha: 'a'.repeat(64) } as CodePackage,
      notice: (m) => notices.push(m),
      buildLayer: (request) =>
        buildDependencyLayer({
          flowDir: FIXTURE,
          specifiers: ['@duckdb/node-api', 'sharp'],
          platform: request.platform,
          provided: request.provided,
          cacheDir,
        }),
    };
    const api = new FakeBatchApi({ instanceTypes: [['m7g.large', 'c7g']] });
    const launcher = new BatchLauncher({
      run,
      steps: [resolved('start'), resolved('image', { imagePackages: ['@duckdb/node-api'] })],
      api,
      env: {},
      storePackage: async () => ({ sha: 'b'.repeat(64), url: 's3://bucket/runs/DepsFlow/data/bb/pkg' }),
    });
    try {
      const { layers } = await launcher.prepare();
      assert.equal(api.count('SubmitJob'), 0);
      assert.match(notices.join('\n'), /job platforms: linux-arm64/);
      const list = async (step: string): Promise<string[]> => {
        const layer = layers.get(step);
        assert.ok(layer, `step ${step} has a layer`);
        assert.equal(layer.platform.cpu, 'arm64');
        const blob = await storage.get(`DepsFlow/data/${layer.sha.slice(0, 2)}/${layer.sha}`);
        assert.ok(blob && blob[0] === 0, 'stored with the content header byte');
        return readUstarEntries(gunzipSync(blob.subarray(1))).map((e) => e.path);
      };
      const all = await list('start');
      assert.ok(
        all.some((f) => f.startsWith('node_modules/@img/sharp-linux-arm64/')),
        'sharp for arm64',
      );
      assert.ok(!all.some((f) => f.includes('linux-x64')), 'no x64 build');
      assert.ok(all.some((f) => f.startsWith('node_modules/@duckdb/node-bindings-linux-arm64/')));
      const image = await list('image');
      assert.ok(image.some((f) => f.startsWith('node_modules/@img/sharp-linux-arm64/')));
      assert.ok(!image.some((f) => f.startsWith('node_modules/@duckdb/')), 'DuckDB comes from the image');
    } finally {
      launcher.close();
    }
  });
});
