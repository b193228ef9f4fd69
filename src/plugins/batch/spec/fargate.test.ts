import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FARGATE_SIZES, fargateSize } from './fargate.js';

const where = { flowName: 'MyFlow', stepName: 'train' };

describe('fargate', () => {
  it('FARGATE_SIZES lists every valid pair of the AWS table', () => {
    const pairs = FARGATE_SIZES.flatMap((s) => s.memory.map((m) => `${s.cpu}/${m}`));
    assert.equal(pairs.length, 3 + 4 + 7 + 13 + 23 + 12 + 12);
    for (const p of [
      '0.25/512',
      '0.5/4096',
      '1/2048',
      '1/8192',
      '2/16384',
      '4/30720',
      '8/61440',
      '16/122880',
    ]) {
      assert.ok(pairs.includes(p), p);
    }
    for (const p of ['0.25/4096', '1/1024', '4/32768', '8/18432', '16/36864'])
      assert.ok(!pairs.includes(p), p);
  });

  it('fargateSize rounds up to the nearest valid pair and says so', () => {
    const cases: Array<[number, number, number, number]> = [
      // cpu, memory → cpu, memory
      [0.25, 512, 0.25, 512],
      [0.25, 600, 0.25, 1024],
      [0.25, 3000, 0.5, 3072],
      [0.3, 512, 0.5, 1024],
      [0.5, 512, 0.5, 1024],
      [1, 1000, 1, 2048],
      [1, 4096, 1, 4096],
      [1, 4097, 1, 5120],
      [1, 9000, 2, 9216],
      [1.5, 2048, 2, 4096],
      [3, 8192, 4, 8192],
      [4, 30720, 4, 30720],
      [4, 30721, 8, 32768],
      [8, 17000, 8, 20480],
      [9, 1024, 16, 32768],
      [16, 122880, 16, 122880],
    ];
    for (const [cpu, memory, wantCpu, wantMemory] of cases) {
      const size = fargateSize(where, cpu, memory);
      assert.equal(size.cpu, wantCpu, `${cpu}/${memory}`);
      assert.equal(size.memory, wantMemory, `${cpu}/${memory}`);
      const exact = cpu === wantCpu && memory === wantMemory;
      assert.equal(size.notice === undefined, exact, `${cpu}/${memory}`);
    }
    assert.equal(
      fargateSize(where, 1, 1000).notice,
      'rounded cpu=1, memory=1000 up to the nearest Fargate size: 1 vCPU, 2048 MiB',
    );
  });
});
