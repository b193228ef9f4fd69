import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeResources } from './merge-resources.js';

describe('merge-resources', () => {
  it('mergeResources: the larger of @batch and @resources wins; defaults when neither gives one', () => {
    assert.deepEqual(mergeResources({}, undefined), { cpu: 1, gpu: 0, memory: 4096 });
    assert.deepEqual(mergeResources({ cpu: 0.25, memory: 512 }, undefined), {
      cpu: 0.25,
      gpu: 0,
      memory: 512,
    });
    assert.deepEqual(mergeResources({ cpu: 8, memory: 1024 }, { cpu: 2, memory: 16384, gpu: 1 }), {
      cpu: 8,
      gpu: 1,
      memory: 16384,
    });
    assert.deepEqual(mergeResources({}, { cpu: 0.5, memory: 1024, gpu: 0 }), {
      cpu: 0.5,
      gpu: 0,
      memory: 1024,
    });
    // @resources carries its own defaults: a smaller @batch size loses to them (as in Metaflow).
    assert.deepEqual(mergeResources({ cpu: 0.25 }, { cpu: 1, memory: 4096, gpu: 0 }), {
      cpu: 1,
      gpu: 0,
      memory: 4096,
    });
    assert.deepEqual(
      mergeResources({ sharedMemory: 64 }, { cpu: 1, memory: 4096, gpu: 0, sharedMemory: 256 }),
      {
        cpu: 1,
        gpu: 0,
        memory: 4096,
        sharedMemory: 256,
      },
    );
    assert.deepEqual(mergeResources({ sharedMemory: 512 }, undefined).sharedMemory, 512);
  });
});
