import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { it } from 'node:test';
import { currentUser } from './user.js';

it('currentUser prefers METAFLOW_USER, else the OS user', () => {
  assert.equal(currentUser({ METAFLOW_USER: 'alice', USER: 'x' }), 'alice');
  assert.equal(currentUser({}), userInfo().username || 'unknown');
});
