import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStorage } from '../datastore/memory-storage.js';
import { TaskError } from './errors.js';
import { readInputsFile } from './inputs-file.js';

describe('inputs-file', () => {
  it('readInputsFile reads the stored input list, and names the file and task when it is missing or bad', async () => {
    const storage = new MemoryStorage('mem://x');
    const inputs = Array.from({ length: 3000 }, (_, i) => `work/${i + 2}`);
    await storage.put('F/1/join/3002/0.inputs.json', Buffer.from(JSON.stringify(inputs)));
    assert.deepEqual(await readInputsFile(storage, 'F/1/join/3002/0.inputs.json', 'F/1/join/3002'), {
      inputs,
    });
    const inputData = inputs.map((_, i) => (i % 2 ? null : { attempt: 0, refs: {} }));
    await storage.put('F/1/join/3002/1.inputs.json', Buffer.from(JSON.stringify({ inputs, inputData })));
    assert.deepEqual(await readInputsFile(storage, 'F/1/join/3002/1.inputs.json', 'F/1/join/3002'), {
      inputs,
      inputData,
    });
    const bad = async (body: string | undefined, text: RegExp) => {
      if (body !== undefined) await storage.put('k', Buffer.from(body));
      await assert.rejects(
        readInputsFile(storage, body === undefined ? 'missing' : 'k', 'F/1/join/3'),
        (err: Error) =>
          err instanceof TaskError && text.test(err.message) && /F\/1\/join\/3/.test(err.message),
      );
    };
    await bad(undefined, /inputs file missing .*does not exist/);
    await bad('{', /not valid JSON/);
    await bad('[1, 2]', /not a list of task paths/);
    await bad('{"inputs": ["a/2"], "inputData": []}', /input data that does not match its inputs/);
  });
});
