import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { mapStack } from './stack-map.js';

let dir: string;
let bundlePath: string;
let stack: string;
let sourceFile: string;

const SOURCE = `export function helper(n: number): number {
  return n * 2;
}

export function explode(): never {
  const value: number = helper(21);
  throw new Error('boom ' + value);
}
`;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stepflow-stackmap-'));
  sourceFile = path.join(dir, 'src', 'flow.ts');
  await mkdir(path.dirname(sourceFile));
  await writeFile(sourceFile, SOURCE);
  bundlePath = path.join(dir, 'out', 'bundle.mjs');
  const result = await build({
    entryPoints: [sourceFile],
    bundle: true,
    format: 'esm',
    platform: 'node',
    // 'external' writes no sourceMappingURL comment: Node cannot map the stack by itself.
    sourcemap: 'external',
    write: false,
    outfile: bundlePath,
    banner: { js: '// padding line one\n// padding line two' },
    logLevel: 'silent',
  });
  await mkdir(path.dirname(bundlePath));
  for (const file of result.outputFiles) await writeFile(file.path, file.contents);
  const mod = (await import(pathToFileURL(bundlePath).href)) as { explode(): never };
  try {
    mod.explode();
  } catch (err) {
    stack = (err as Error).stack ?? '';
  }
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('stack-map', () => {
  it('a frame in the bundle maps to the source file, line and column', () => {
    assert.match(stack, /bundle\.mjs:\d+:\d+/);
    const mapped = mapStack(stack, bundlePath);
    assert.ok(mapped.startsWith('Error: boom 42'), mapped);
    const frame = mapped.split('\n').find((l) => l.includes('explode'));
    assert.ok(frame, mapped);
    assert.ok(frame.includes(`${sourceFile}:7:`), frame);
    assert.doesNotMatch(mapped, /bundle\.mjs/);
  });

  it('plain-path frames are mapped as well as file URLs', () => {
    const line = /bundle\.mjs:(\d+):(\d+)/.exec(stack);
    assert.ok(line);
    const plain = `Error: x\n    at explode (${bundlePath}:${line[1]}:${line[2]})`;
    assert.equal(mapStack(plain, bundlePath), `Error: x\n    at explode (${sourceFile}:7:9)`);
  });

  it('stacks that do not mention the bundle, or a bundle without a map, are left alone', async () => {
    const other = 'Error: x\n    at f (/somewhere/else.js:1:1)';
    assert.equal(mapStack(other, bundlePath), other);
    const lonely = path.join(dir, 'out', 'lonely.mjs');
    await writeFile(lonely, '');
    const frame = `Error: y\n    at g (${lonely}:1:1)`;
    assert.equal(mapStack(frame, lonely), frame);
  });
});
