import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeStepNotices } from './prepare.js';

describe('prepare', () => {
  it('mergeStepNotices: what several steps are told alike is said once, naming the steps', () => {
    assert.deepEqual(
      mergeStepNotices([
        '@batch on step F.start: no IAM role (...).',
        '@batch on step F.train: memory rounded up to 1024 MiB.',
        '@batch on step F.train: no IAM role (...).',
        '@batch on step F.end: no IAM role (...).',
        '@batch: job definitions: 1 registered.',
        '@batch: job definitions: 1 registered.',
      ]),
      [
        '@batch on steps start, train, end of F: no IAM role (...).',
        '@batch on step F.train: memory rounded up to 1024 MiB.',
        '@batch: job definitions: 1 registered.',
      ],
    );
  });
});
