import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPinnedNode, NODE_LINES, nodeLinePath, nodeLineVersion } from './node-lines.mjs';

describe('node-lines', () => {
  it('every pinned Node line (22 and the LTS 24) is found and reports its own version', () => {
    assert.deepEqual(NODE_LINES, [22, 24]);
    for (const major of NODE_LINES) {
      const bin = nodeLinePath(major);
      assert.match(bin, new RegExp(`tools/node${major}/.*node$`));
      assert.match(nodeLineVersion(major), new RegExp(`^v${major}\\.\\d+\\.\\d+$`));
      assert.equal(isPinnedNode(bin), true);
    }
    assert.equal(isPinnedNode('/nonexistent/node'), false);
    assert.equal(isPinnedNode(nodeLinePath(24), [22]), false);
  });
});
