import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileKindProblem } from './file-kind.js';

describe('file-kind', () => {
  it('fileKindProblem: a Metaflow flow in Python points to where a flow is written here', () => {
    const p = fileKindProblem(
      'flow.py',
      'from metaflow import FlowSpec, step\n\nclass A(FlowSpec):\n  pass\n',
    );
    assert.equal(p?.rule, 'metaflow-python');
    assert.match(p?.message ?? '', /stepflow runs flows written in TypeScript \(\.ts, \.mts\)/);
    assert.match(p?.hint ?? '', /Coming from Metaflow/);
    assert.equal(fileKindProblem('flow.ts', 'class A(FlowSpec):\n')?.rule, 'metaflow-python');
  });

  it('fileKindProblem: another extension is named; TypeScript and JavaScript files pass', () => {
    assert.equal(fileKindProblem('notes.txt', 'hello')?.rule, 'not-typescript');
    assert.match(fileKindProblem('script.py', 'print(1)')?.message ?? '', /is a \.py file/);
    for (const f of ['flow.ts', 'flow.mts', 'flow.js']) {
      assert.equal(fileKindProblem(f, "import { FlowSpec } from 'stepflow';"), undefined);
    }
  });
});
