/**
 * What `npm run build` ships in dist/ must hold no test double: fakes, test helpers and perf scripts
 * live under test/support/, never under src/. The file list is the one tsc builds from
 * tsconfig.build.json, so this needs no build.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));

function shippedFiles() {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, 'tsconfig.build.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error('tsconfig.build.json could not be read');
  return parsed.fileNames.map((f) => path.relative(ROOT, f).split(path.sep).join('/'));
}

/** A name or an export that says "test double". */
const DOUBLE_NAME = /(^|[-_.])(fake|fakes|mock|mocks|stub|stubs|perf-check)([-_.]|$)/i;
const DOUBLE_EXPORT =
  /^export (?:declare )?(?:abstract )?(?:class|function|const) (?:Fake|Mock|Stub|fake|mock|stub)[A-Z]/m;

describe('shipped-files', () => {
  it('the build ships no test double (fakes, stubs, perf scripts) and no test', () => {
    const files = shippedFiles();
    assert.ok(files.length > 50, `tsc would build ${files.length} files: the check reads the wrong config`);
    const bad = files.filter((f) => {
      if (!f.startsWith('src/') || /\.test\.[cm]?ts$/.test(f)) return true;
      if (DOUBLE_NAME.test(path.basename(f))) return true;
      return DOUBLE_EXPORT.test(fs.readFileSync(path.join(ROOT, f), 'utf8'));
    });
    assert.deepEqual(bad, [], 'move these to test/support/ (test doubles must not ship in dist/)');
  });
});
