import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { findTests, selectTests } from './test-files.mjs';

function makeRepo(t) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'test-files-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  for (const f of [
    'src/graph/a.test.ts',
    'src/graph/a.ts',
    'src/flow/b.test.ts',
    'src/node_modules/x/c.test.ts',
    'scripts/lib/d.test.mjs',
    'bench/flows/.stepflow-cache/e.test.mjs',
    'test/e2e/run.test.ts',
    'test/support/ci.test.ts',
    'test/fixtures/flow.ts',
  ]) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), '');
  }
  return root;
}

describe('test-files', () => {
  it('findTests lists unit and e2e tests, sorted, skipping node_modules and caches', (t) => {
    const root = makeRepo(t);
    assert.deepEqual(findTests(root, 'unit'), [
      'scripts/lib/d.test.mjs',
      'src/flow/b.test.ts',
      'src/graph/a.test.ts',
      'test/support/ci.test.ts',
    ]);
    assert.deepEqual(findTests(root, 'e2e'), ['test/e2e/run.test.ts']);
  });

  it('selectTests takes files, folders and path fragments', (t) => {
    const root = makeRepo(t);
    assert.equal(selectTests(root, []).unit.length, 4);
    assert.deepEqual(selectTests(root, ['support/ci']), { unit: ['test/support/ci.test.ts'], e2e: [] });
    assert.deepEqual(selectTests(root, [path.join(root, 'test/e2e/run.test.ts')]), {
      unit: [],
      e2e: ['test/e2e/run.test.ts'],
    });
    assert.deepEqual(selectTests(root, [path.join(root, 'src/graph')]).unit, ['src/graph/a.test.ts']);
    assert.deepEqual(selectTests(root, ['flow/b']), { unit: ['src/flow/b.test.ts'], e2e: [] });
    assert.throws(() => selectTests(root, ['nope']), /"nope" matched no test file/);
  });
});
