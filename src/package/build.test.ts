import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { unpackCodePackage } from './archive.js';
import { buildCodePackage } from './build.js';
import { PackageBuildError } from './errors.js';
import { type FrameworkRoot, frameworkRoot } from './framework-root.js';
import { materializeCodePackage } from './materialize.js';

const run = promisify(execFile);

/** A throwaway framework: a `step` decorator that rejects legacy calls, and a task entry that reports. */
const FAKE_INDEX = `
export const seen = [];
export class FlowSpec {}
export function step(method, context) {
  if (typeof context !== 'object' || context === null || context.kind !== 'method') {
    throw new Error('legacy decorator call');
  }
  seen.push(String(context.name));
  return method;
}
`;
const FAKE_ENTRY = `
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { seen } from '../index.js';
export function isMainModule(url) {
  return process.argv[1] !== undefined && pathToFileURL(realpathSync(process.argv[1])).href === url;
}
export async function taskMain(mod, args) {
  const out = { args, exports: Object.keys(mod).sort(), seen, info: mod.info ?? null };
  try { mod.boom?.(); } catch (e) { out.stack = e.stack; }
  console.log(JSON.stringify(out));
}
`;
const FLOW = `import { createRequire } from 'node:module';
import pad from 'fake-pad';
import { FlowSpec, step } from 'stepflow';
import { greet } from '@lib/greet.js';

const require = createRequire(import.meta.url);
const __dirname = 'mine';

export class HelloFlow extends FlowSpec {
  @step
  start(): void {}
  @step
  end(): void {}
}

export const info = { greet: greet('x'), pad: pad('7'), dirname: __dirname, req: typeof require };

export function boom(): never {
  throw new Error('boom');
}
`;
const BOOM_LINE = FLOW.split('\n').findIndex((l) => l.includes("new Error('boom')")) + 1;

const greetSource = (word: string): string => `export const greet = (s: string): string => '${word} ' + s;\n`;

let base: string;
let proj: string;
let fw: FrameworkRoot;

async function put(file: string, text: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

const build = (file: string) =>
  buildCodePackage(file, { frameworkRoot: fw, cacheDir: path.join(base, 'cache') });

before(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'stepflow-pkg-'));
  proj = path.join(base, 'proj');
  fw = { dir: path.join(base, 'fw'), ext: 'js' };
  await put(path.join(fw.dir, 'index.js'), FAKE_INDEX);
  await put(path.join(fw.dir, 'task', 'entry.js'), FAKE_ENTRY);
  await put(path.join(proj, 'flow.ts'), FLOW);
  // A user tsconfig asking for legacy decorators must not change the semantics; its paths still work.
  await put(
    path.join(proj, 'tsconfig.json'),
    '{ "compilerOptions": { "experimentalDecorators": true, "paths": { "@lib/*": ["./lib/*"] } } }',
  );
  await put(path.join(proj, 'lib', 'greet.ts'), greetSource('hi'));
  const pad = path.join(proj, 'node_modules', 'fake-pad');
  await put(path.join(pad, 'package.json'), '{ "name": "fake-pad", "main": "index.js" }');
  await put(
    path.join(pad, 'index.js'),
    "const path = require('node:path');\nmodule.exports = (s) => '00' + s + ':' + typeof path.basename(__dirname);\n",
  );
  await put(
    path.join(proj, 'simple.ts'),
    "import { step } from 'stepflow';\nexport const s = typeof step;\n",
  );
});

after(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('build', () => {
  it('frameworkRoot is the folder holding index.ts when running from source', () => {
    const root = frameworkRoot();
    assert.equal(root.ext, 'ts');
    assert.equal(root.dir, path.resolve(import.meta.dirname, '..'));
  });

  it('flow, local module, npm package and framework end up in one runnable bundle', async () => {
    const pkg = await build(path.join(proj, 'flow.ts'));
    assert.match(pkg.sha, /^[0-9a-f]{64}$/);
    assert.deepEqual(pkg.manifest.externals, []);
    assert.equal(pkg.manifest.flowFile, 'flow.ts');
    assert.deepEqual(pkg.manifest.inputs, [
      '../fw/index.js',
      '../fw/task/entry.js',
      'flow.ts',
      'lib/greet.ts',
      'node_modules/fake-pad/index.js',
    ]);
    const text = pkg.bundle.toString();
    assert.doesNotMatch(text, /@step/, 'decorators are lowered');
    assert.match(text, /\/\/# sourceMappingURL=bundle\.mjs\.map/);
    const map = JSON.parse(pkg.sourceMap.toString()) as { sources: string[]; sourcesContent: string[] };
    assert.ok(map.sources.includes('../../../flow.ts'));
    for (const s of map.sources) assert.ok(s.startsWith('../../../'), s);
    assert.equal(map.sourcesContent.length, map.sources.length);
    assert.deepEqual(unpackCodePackage(pkg.archive).files.get('bundle.mjs'), pkg.bundle);

    const bundlePath = await materializeCodePackage(pkg, proj);
    assert.equal(bundlePath, path.join(proj, '.stepflow-cache', 'code', pkg.sha, 'bundle.mjs'));
    const { stdout } = await run(process.execPath, ['--enable-source-maps', bundlePath, 'step', 'start']);
    const out = JSON.parse(stdout) as {
      args: string[];
      exports: string[];
      seen: string[];
      info: Record<string, string>;
      stack: string;
    };
    assert.deepEqual(out.args, ['step', 'start']);
    assert.deepEqual(out.exports, ['HelloFlow', 'boom', 'info']);
    assert.deepEqual(out.seen, ['start', 'end'], 'standard decorators ran, one framework copy');
    assert.deepEqual(out.info, { greet: 'hi x', pad: '007:string', dirname: 'mine', req: 'function' });
    assert.ok(out.stack.includes(`${path.join(proj, 'flow.ts')}:${BOOM_LINE}:`), out.stack);
  });

  it('two builds of unchanged sources are byte-identical, even after touching mtimes', async (t) => {
    const file = path.join(proj, 'flow.ts');
    const first = await build(file);
    const second = await build(file);
    assert.deepEqual(second.archive, first.archive);
    assert.equal(second.sha, first.sha);
    const later = new Date(Date.now() + 60_000);
    await utimes(file, later, later);
    await utimes(path.join(proj, 'lib', 'greet.ts'), later, later);
    const touched = await build(file);
    assert.deepEqual(touched.archive, first.archive);
    assert.equal(touched.sha, first.sha);

    await put(path.join(proj, 'lib', 'greet.ts'), greetSource('hello'));
    try {
      assert.notEqual((await build(file)).sha, first.sha, 'a changed import changes the sha');
    } finally {
      await put(path.join(proj, 'lib', 'greet.ts'), greetSource('hi'));
    }

    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push((await build(path.join(proj, 'simple.ts'))).buildMs);
    t.diagnostic(`small flow, warm builds (ms): ${times.join(', ')}`);
    assert.ok(Math.min(...times) < 1000);
  });

  it('a missing import is a PackageBuildError naming the file and line', async () => {
    const file = await put(
      path.join(proj, 'broken.ts'),
      "import { step } from 'stepflow';\nimport { nope } from './does-not-exist.js';\nexport { step, nope };\n",
    );
    await assert.rejects(build(file), (e: unknown) => {
      assert.ok(e instanceof PackageBuildError);
      assert.equal(e.flowFile, file);
      assert.equal(e.messages[0]?.file, file);
      assert.equal(e.messages[0]?.line, 2);
      assert.match(e.message, /broken\.ts:2:\d+: Could not resolve "\.\/does-not-exist\.js"/);
      return true;
    });
  });

  it('unknown stepflow subpaths and missing flow files are build errors', async () => {
    const file = await put(path.join(proj, 'subpath.ts'), "import 'stepflow/secret';\n");
    await assert.rejects(build(file), /subpath\.ts:1:\d+: "stepflow\/secret" is not an entry point/);
    await assert.rejects(build(path.join(proj, 'nope.ts')), PackageBuildError);
  });

  it('native add-on packages and .node files are left external and listed', async () => {
    const nm = path.join(proj, 'node_modules');
    await put(path.join(nm, 'native-a', 'package.json'), '{ "name": "native-a", "gypfile": true }');
    await put(path.join(nm, 'native-a', 'index.js'), 'module.exports = 1;\n');
    await put(
      path.join(nm, '@scope', 'native-b', 'package.json'),
      '{ "name": "@scope/native-b", "dependencies": { "node-gyp-build": "^4.0.0" } }',
    );
    await put(path.join(nm, '@scope', 'native-b', 'index.js'), 'module.exports = 2;\n');
    const file = await put(
      path.join(proj, 'native.ts'),
      "import a from 'native-a';\nimport b from '@scope/native-b/index.js';\n" +
        "import { createRequire } from 'node:module';\nconst req = createRequire(import.meta.url);\n" +
        "export const load = () => [a, b, require('./build/addon.node')];\nexport { req };\n",
    );
    const pkg = await build(file);
    assert.deepEqual(pkg.manifest.externals, ['@scope/native-b', 'build/addon.node', 'native-a']);
    assert.deepEqual(pkg.manifest.inputs, ['../fw/index.js', '../fw/task/entry.js', 'native.ts']);
    const text = pkg.bundle.toString();
    assert.match(text, /from ?"native-a"/);
    assert.match(text, /from ?"@scope\/native-b\/index\.js"/);
  });
});
