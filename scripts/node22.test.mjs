import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBundledNode22, node22Path, node22Version } from './node22.mjs';

describe('node22', () => {
  it('node22Path finds the pinned Node 22 binary, and it reports v22', () => {
    const bin = node22Path();
    assert.match(bin, /node$/);
    assert.match(node22Version(), /^v22\.\d+\.\d+$/);
    assert.equal(isBundledNode22(bin), true);
    assert.equal(isBundledNode22('/nonexistent/node'), false);
  });
});
