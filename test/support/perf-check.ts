/**
 * A quick throughput check of the artifact path (not a test): saves and loads a 256 MiB
 * Float64Array through {@link FlowDatastore} on a local backend in a temp folder.
 *
 * Run: `node --import tsx test/support/perf-check.ts [MiB]`
 *
 * @example
 * ```sh
 * node --import tsx test/support/perf-check.ts 256
 * ```
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FlowDatastore } from '../../src/datastore/flow-datastore.js';
import { LocalStorage } from '../../src/datastore/local-storage.js';

async function timed<T>(label: string, bytes: number, work: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  const result = await work();
  const ms = performance.now() - start;
  const rate = bytes / 1e6 / (ms / 1000);
  console.log(`${label.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms  ${rate.toFixed(0).padStart(6)} MB/s`);
  return result;
}

async function main(): Promise<void> {
  const mib = Number(process.argv[2] ?? 256);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stepflow-perf-'));
  try {
    const storage = new LocalStorage(dir);
    const ds = new FlowDatastore(storage, 'PerfFlow');
    const fast = new FlowDatastore(storage, 'PerfFlow', { verifyOnLoad: false });
    const values = new Float64Array((mib * 1024 * 1024) / 8);
    for (let i = 0; i < values.length; i++) values[i] = i * 0.5;
    const bytes = values.byteLength;
    console.log(`artifact: Float64Array, ${mib} MiB (${bytes} bytes)`);
    await timed('sha256 alone (reference)', bytes, () => createHash('sha256').update(values).digest('hex'));
    const refs = await timed('saveArtifacts (new blob)', bytes, () => ds.saveArtifacts({ values }));
    await timed('saveArtifacts (same bytes again: dedupe)', bytes, () => ds.saveArtifacts({ values }));
    let loaded = (await timed('loadArtifact (verify sha256)', bytes, () =>
      ds.loadArtifact(refs.values),
    )) as Float64Array;
    loaded = (await timed('loadArtifact (no verify)', bytes, () =>
      fast.loadArtifact(refs.values),
    )) as Float64Array;
    loaded = (await timed('loadArtifactSync (verify sha256)', bytes, () =>
      ds.loadArtifactSync(refs.values),
    )) as Float64Array;
    if (loaded.length !== values.length || loaded[values.length - 1] !== values[values.length - 1]) {
      throw new Error('round trip mismatch');
    }
    const nested = { weights: values };
    const nestedRefs = await timed('saveArtifacts (nested in an object: v8)', bytes, () =>
      ds.saveArtifacts({ nested }),
    );
    await timed('loadArtifact (nested in an object: v8)', bytes, () => ds.loadArtifact(nestedRefs.nested));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
