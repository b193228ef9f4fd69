import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'types', 'foreach-types.ts');

describe('flow-types', () => {
  it('types: foreach fields and this.inputOf are checked (every @ts-expect-error is an error, nothing else is)', () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      path.join(ROOT, 'tsconfig.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) =>
          assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
      },
    );
    assert.ok(config);
    const program = ts.createProgram([FIXTURE], { ...config.options, noEmit: true });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName === FIXTURE)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    // An unused @ts-expect-error (a mistake that compiles) is itself an error (TS2578).
    assert.deepEqual(diagnostics, []);
    const expected = readFileSync(FIXTURE, 'utf8').match(/^\s*\/\/ @ts-expect-error/gm) ?? [];
    assert.equal(expected.length, 6);
  });
});
