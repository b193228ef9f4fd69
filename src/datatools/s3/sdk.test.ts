/**
 * The AWS SDK stays out of the way: importing stepflow does not load it, and task bundles neither
 * parse nor carry it (it is loaded at run time, on the first S3 call).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildCodePackage } from '../../package/build.js';
import { loadSdk } from './sdk.js';

const REPO = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));

describe('sdk', () => {
  it('importing stepflow does not load the AWS SDK', () => {
    const index = path.join(REPO, 'src', 'index.ts');
    const code = [
      "import { createRequire } from 'node:module';",
      `const { S3 } = await import(${JSON.stringify(index)});`,
      'const cache = createRequire(import.meta.url).cache;',
      "console.log(typeof S3, Object.keys(cache).filter((k) => k.includes('@aws-sdk')).length);",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: REPO,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'function 0');
  });

  it('task bundles leave the SDK out, also for a flow that uses S3', async () => {
    for (const flow of ['examples/hello-flow.ts', 'test/fixtures/flows/s3-tool-flow.ts']) {
      const pkg = await buildCodePackage(path.join(REPO, flow));
      const sdkInputs = pkg.manifest.inputs.filter((i) => i.includes('@aws-sdk') || i.includes('@smithy'));
      assert.deepEqual(sdkInputs, [], `${flow}: esbuild did not parse the SDK`);
      assert.ok(!pkg.bundle.includes('class GetObjectCommand'), `${flow}: no SDK code in the bundle`);
      assert.ok(pkg.bundle.length < 1_000_000, `${flow}: bundle is ${pkg.bundle.length} bytes`);
    }
  });

  it('loadSdk loads @aws-sdk/client-s3 once, from the project', () => {
    const sdk = loadSdk();
    assert.equal(typeof sdk.S3Client, 'function');
    assert.equal(loadSdk(), sdk);
  });
});
