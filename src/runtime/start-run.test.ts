import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MemoryStorage } from '../datastore/memory-storage.js';
import type { RuntimeCheckContext, RuntimeRunContext } from '../decorators/contract.js';
import { registerStepDecorator } from '../decorators/registry.js';
import { parseWithSpec } from '../decorators/resolve.js';
import { type LoadedFlow, loadFlow } from './load-flow.js';
import { prepareRun } from './start-run.js';

const FLOWS = path.resolve(fileURLToPath(new URL('../../test/fixtures/flows', import.meta.url)));

/** What the probe plugins saw, in order. */
const events: string[] = [];
let storage: MemoryStorage;
let checked: RuntimeCheckContext | undefined;
let initialized: RuntimeRunContext | undefined;

/** Keys of run folders (not blobs) in the memory storage. */
const runKeys = () => [...storage.objects.keys()].filter((k) => !k.startsWith('LinearFlow/data/'));

registerStepDecorator({
  name: 'probe_refuse',
  optionNames: [],
  parseOptions: () => ({}),
  runtimeCheck: () => {
    events.push(`refuse check, run keys: ${runKeys().length}`);
    throw new Error('the queue does not exist');
  },
  runtimeInit: () => {
    events.push('refuse init');
  },
});
registerStepDecorator({
  name: 'probe_accept',
  optionNames: [],
  parseOptions: () => ({}),
  runtimeCheck: (ctx) => {
    checked = ctx;
    events.push(`accept check, run keys: ${runKeys().length}`);
  },
  runtimeInit: (ctx) => {
    initialized = ctx;
    events.push(`accept init ${ctx.runId}`);
    throw new Error('stop here: the test needs no task');
  },
});

registerStepDecorator({
  name: 'probe_scoped',
  optionNames: [],
  parseOptions: () => ({}),
  runtimeCheck: () => {
    events.push('scoped check');
    return {
      runtimeInit: (ctx) => {
        events.push(`scope init ${ctx.runId}`);
      },
      runtimeFinished: (ctx) => {
        events.push(`scope finished ${ctx.end} ${ctx.runId ?? 'unnamed'}`);
      },
    };
  },
});

let flow: LoadedFlow;
before(async () => {
  flow = await loadFlow(path.join(FLOWS, 'linear-flow.ts'));
});

describe('start-run', () => {
  it('a plugin refusing the run in runtimeCheck: no run is named, no run record, runtimeInit never called', async () => {
    events.length = 0;
    storage = new MemoryStorage();
    await assert.rejects(
      prepareRun({ flow, storage, parameters: {}, withSpecs: [parseWithSpec('probe_refuse')] }),
      /the queue does not exist/,
    );
    assert.deepEqual(events, ['refuse check, run keys: 0']);
    assert.deepEqual(runKeys(), [], 'nothing is stored under a run id');
  });

  it('runtimeCheck runs before the run is named, runtimeInit after it, with the same decorators map', async () => {
    events.length = 0;
    storage = new MemoryStorage();
    const run = await prepareRun({
      flow,
      storage,
      parameters: {},
      withSpecs: [parseWithSpec('probe_accept')],
    });
    assert.deepEqual(events, ['accept check, run keys: 0']);
    assert.ok(checked && !('runId' in checked), 'the check has no run id');
    assert.deepEqual(runKeys(), [`LinearFlow/${run.runId}/_meta/run.json`], 'named: only its record exists');
    await assert.rejects(run.start(), /stop here/);
    assert.deepEqual(events, ['accept check, run keys: 0', `accept init ${run.runId}`]);
    assert.equal(initialized?.decorators, checked?.decorators, 'one decorators map for the whole run');
  });

  it('the run scope a plugin returned is finished when the run fails to start, and when a check refuses it', async () => {
    events.length = 0;
    storage = new MemoryStorage();
    const withSpecs = [parseWithSpec('probe_scoped'), parseWithSpec('probe_accept')];
    const run = await prepareRun({ flow, storage, parameters: {}, withSpecs });
    assert.equal(run.scopesOf('probe_scoped').length, 1, 'the run holds the scope');
    await assert.rejects(run.start(), /stop here/);
    assert.deepEqual(events, [
      'scoped check',
      'accept check, run keys: 0',
      `scope init ${run.runId}`,
      `accept init ${run.runId}`,
      `scope finished failed ${run.runId}`,
    ]);
    assert.equal(run.scopesOf('probe_scoped').length, 0, 'nothing is kept after the run');

    events.length = 0;
    storage = new MemoryStorage();
    const refused = [parseWithSpec('probe_scoped'), parseWithSpec('probe_refuse')];
    await assert.rejects(
      prepareRun({ flow, storage, parameters: {}, withSpecs: refused }),
      /queue does not exist/,
    );
    assert.deepEqual(events, ['scoped check', 'refuse check, run keys: 0', 'scope finished refused unnamed']);
  });
});
