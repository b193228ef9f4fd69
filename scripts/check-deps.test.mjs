/**
 * The folder-boundary check (scripts/check-deps.mjs with .dependency-cruiser.cjs) catches what it is for: a
 * fixture tree that breaks each rule fails with the rule's name and the offending import; a tree that keeps
 * the table passes. Real dependency-cruiser runs, on files written to a private temp folder.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { checkDeps } from './check-deps.mjs';

/** Writes `files` (path → text) under a new private temp folder set up like a TypeScript project. */
function fixture(t, files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-check-deps-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const all = {
    'package.json': JSON.stringify({
      name: 'fixture',
      type: 'module',
      dependencies: { shipped: '1.0.0' },
      devDependencies: { devonly: '1.0.0' },
    }),
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true },
      include: ['src', 'test'],
    }),
    ...pkg('shipped'),
    ...pkg('devonly'),
    ...files,
  };
  for (const [rel, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

function pkg(name) {
  return {
    [`node_modules/${name}/package.json`]: JSON.stringify({ name, version: '1.0.0', main: 'index.js' }),
    [`node_modules/${name}/index.js`]: 'export const value = 1;\n',
    [`node_modules/${name}/index.d.ts`]: 'export declare const value: number;\nexport type T = number;\n',
  };
}

/** The layers' index files, so deep and index imports can be told apart. */
const INDEXES = {
  'src/flow/index.ts': 'export const flow = 1;\n',
  'src/datastore/index.ts': 'export const datastore = 1;\n',
  'src/datastore/keys.ts': 'export const key = 1;\n',
  'src/runtime/index.ts':
    "import { datastore } from '../datastore/index.js';\nexport const runtime = datastore;\n",
  'src/config/index.ts': 'export const config = 1;\n',
  'src/aws/index.ts': "import { config } from '../config/index.js';\nexport const aws = config;\n",
};

describe('check-deps', () => {
  it('a tree that keeps the layer table passes (toolchain folders may be imported deep)', (t) => {
    const dir = fixture(t, {
      ...INDEXES,
      'src/package/build.ts': 'export const build = 1;\n',
      'src/runtime/bundle.ts': "import { build } from '../package/build.js';\nexport const bundle = build;\n",
      'src/cli/main.ts':
        "import { runtime } from '../runtime/index.js';\nimport { datastore as key } from '../datastore/index.js';\n" +
        "import { value } from 'shipped';\nimport type { T } from 'devonly';\n" +
        'export const main: T = runtime + key + value;\n',
      // a known exception of the config (exact paths): allowed
      'src/runtime/load-flow.ts': "import { flow } from '../flow/index.js';\nexport const load = flow;\n",
    });
    const { code, text } = checkDeps({ cwd: dir, staleCheck: false });
    assert.equal(code, 0, text);
    assert.match(text, /no new violation/);
  });

  it("an import past another folder's index.ts fails (deep-import)", (t) => {
    const dir = fixture(t, {
      ...INDEXES,
      'src/cli/main.ts': "import { key } from '../datastore/keys.js';\nexport const main = key;\n",
    });
    const { code, text } = checkDeps({ cwd: dir, staleCheck: false });
    assert.equal(code, 1, text);
    assert.match(text, /^ {2}deep-import: /m);
    assert.ok(text.includes('    src/cli/main.ts → src/datastore/keys.ts'), text);
  });

  it('each boundary rule fails on a fixture that breaks it, naming the rule and the import', (t) => {
    const dir = fixture(t, {
      ...INDEXES,
      // a lower layer imports an upper one
      'src/flow/spec.ts': "import { runtime } from '../runtime/index.js';\nexport const spec = runtime;\n",
      // config -> aws is not in the table, and aws -> config is: a folder cycle
      'src/config/region.ts': "import { aws } from '../aws/index.js';\nexport const region = aws;\n",
      // shipped code imports a test double
      'src/datastore/store.ts':
        "import { fake } from '../../test/support/fake.js';\nexport const store = fake;\n",
      'test/support/fake.ts': 'export const fake = 1;\n',
      // a devDependency's value (not only its types) in shipped code
      'src/datastore/dev.ts': "import { value } from 'devonly';\nexport const dev = value;\n",
      'src/datastore/dev-types.ts': "import type { T } from 'devonly';\nexport const typed: T = 1;\n",
      // a known exception covers only its own import: load-flow.ts -> flow/index.ts, not flow/current.ts
      'src/flow/current.ts': 'export const current = 1;\n',
      'src/runtime/load-flow.ts':
        "import { current } from '../flow/current.js';\nexport const load = current;\n",
      // task <-> datastore: a folder cycle
      'src/task/run.ts':
        "import { datastore } from '../datastore/index.js';\nexport const run = datastore;\n",
      'src/datastore/task-link.ts': "import { run } from '../task/run.js';\nexport const link = run;\n",
      // @batch's own parts: spec/ is pure, logs/ does not use jobs/, bootstrap/ uses nothing of the plugin
      'src/plugins/batch/jobs/launcher.ts': 'export const launcher = 1;\n',
      'src/plugins/batch/index.ts': 'export const batch = 1;\n',
      'src/plugins/batch/spec/resolve.ts':
        "import { launcher } from '../jobs/launcher.js';\nexport const resolve = launcher;\n",
      'src/plugins/batch/logs/tail.ts':
        "import { launcher } from '../jobs/launcher.js';\nexport const tail = launcher;\n",
      'src/plugins/batch/bootstrap/main.ts':
        "import { batch } from '../index.js';\nexport const main = batch;\n",
      // a folder that is not in the table
      'src/widgets/widget.ts': "import { flow } from '../flow/index.js';\nexport const widget = flow;\n",
    });
    const { code, text } = checkDeps({ cwd: dir, staleCheck: false });
    assert.equal(code, 1, text);
    const expected = [
      ['layer-flow', 'src/flow/spec.ts → src/runtime/index.ts'],
      ['layer-config', 'src/config/region.ts → src/aws/index.ts'],
      ['layer-runtime \\(src/runtime/load-flow.ts\\)', 'src/runtime/load-flow.ts → src/flow/current.ts'],
      ['layer-datastore', 'src/datastore/task-link.ts → src/task/run.ts'],
      ['folder-cycle', 'src/task → src/datastore → src/task'],
      ['folder-cycle', 'src/config → src/aws → src/config'],
      ['no-test-code-in-src', 'src/datastore/store.ts → test/support/fake.ts'],
      ['no-dev-dependency-in-src', 'src/datastore/dev.ts → node_modules/devonly/index.js'],
      ['layer-unknown-folder', 'src/widgets/widget.ts → src/flow/index.ts'],
      ['batch-spec-pure', 'src/plugins/batch/spec/resolve.ts → src/plugins/batch/jobs/launcher.ts'],
      ['batch-logs-package-not-jobs', 'src/plugins/batch/logs/tail.ts → src/plugins/batch/jobs/launcher.ts'],
      ['batch-bootstrap-standalone', 'src/plugins/batch/bootstrap/main.ts → src/plugins/batch/index.ts'],
    ];
    for (const [rule, edge] of expected) {
      assert.match(text, new RegExp(`^  ${rule}: `, 'm'), `rule ${rule} not reported:\n${text}`);
      assert.ok(text.includes(`    ${edge}`), `${edge} not reported:\n${text}`);
    }
    assert.ok(!text.includes('dev-types.ts'), `a type-only import of a devDependency is allowed:\n${text}`);
  });

  it('a known exception of the config that no longer occurs fails the check (delete it from the list)', (t) => {
    const dir = fixture(t, INDEXES);
    const { code, text } = checkDeps({ cwd: dir });
    assert.equal(code, 1, text);
    assert.match(text, /known exception\(s\) no longer occur/);
    assert.ok(text.includes('src/runtime/load-flow.ts → src/flow/index.ts'), text);
  });
});
