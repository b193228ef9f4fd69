import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkFlowFile } from './check.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stepflow-graph-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const VALID = `import { FlowSpec, step } from 'stepflow';
export default class HelloFlow extends FlowSpec {
  @step start() { this.greeting = 'hi'; this.next(this.end); }
  @step end() {}
}
`;

describe('check', () => {
  it('a valid flow file gives its graph and no problems', async () => {
    const file = path.join(dir, 'hello.ts');
    await writeFile(file, VALID);
    const { graph, problems } = await checkFlowFile(file);
    assert.deepEqual(problems, []);
    assert.equal(graph?.flowName, 'HelloFlow');
    assert.equal(graph?.file, file);
  });

  it('an invalid flow file gives its graph and every problem', async () => {
    const file = path.join(dir, 'bad.ts');
    await writeFile(file, VALID.replace('this.next(this.end)', 'this.next(this.nope)'));
    const { graph, problems } = await checkFlowFile(file);
    assert.ok(graph);
    assert.deepEqual(
      problems.map((p) => p.rule),
      ['unknown-target', 'unreachable'],
    );
  });

  it('a missing file is a file-not-found problem with a hint', async () => {
    const { graph, problems } = await checkFlowFile(path.join(dir, 'missing.ts'));
    assert.equal(graph, undefined);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.rule, 'file-not-found');
    assert.match(problems[0]!.hint, /path/);
  });

  it('a folder instead of a file is a file-unreadable problem', async () => {
    const { problems } = await checkFlowFile(dir);
    assert.equal(problems[0]!.rule, 'file-unreadable');
  });

  it('--flow picks a class by name', async () => {
    const file = path.join(dir, 'two.ts');
    await writeFile(
      file,
      `${VALID}export class Other extends FlowSpec {\n  @step start() { this.next(this.end); }\n  @step end() {}\n}\n`,
    );
    assert.equal((await checkFlowFile(file, 'Other')).graph?.flowName, 'Other');
    assert.equal((await checkFlowFile(file)).graph?.flowName, 'HelloFlow');
    assert.equal((await checkFlowFile(file, 'Nope')).problems[0]!.rule, 'flow-not-found');
  });
});
