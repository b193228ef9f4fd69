import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arrayChildOf, consoleEscape, logConsoleOf, resubmitsOf } from './side-records.js';

describe('ui side records', () => {
  it('links a log stream to the CloudWatch console, escaped as the console does, in the right region', () => {
    assert.equal(consoleEscape('/aws/batch/job'), '$252Faws$252Fbatch$252Fjob');
    const batch = {
      jobId: 'j-1',
      queue: 'arn:aws:batch:eu-west-1:123456789012:job-queue/q',
      logGroup: '/aws/batch/job',
      logStream: 'def/default/abc 1#<x>',
    };
    assert.deepEqual(logConsoleOf({ batch }), {
      url:
        'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/' +
        '$252Faws$252Fbatch$252Fjob/log-events/def$252Fdefault$252Fabc$25201$2523$253Cx$253E',
      stream: 'def/default/abc 1#<x>',
    });
    const named = logConsoleOf({ batch: { ...batch, queue: 'q', region: 'us-east-2' } });
    assert.match(named?.url ?? '', /^https:\/\/us-east-2\.console\.aws\.amazon\.com\/.*\?region=us-east-2#/);
    assert.match(logConsoleOf({ batch: { ...batch, queue: 'q' } }, 'ap-south-1')?.url ?? '', /ap-south-1/);
    assert.equal(logConsoleOf({ batch: { ...batch, queue: 'q' } }), undefined, 'no region: no link');
    assert.equal(logConsoleOf({ batch: { ...batch, queue: 'q', region: 'evil.com/x' } }), undefined);
    assert.equal(logConsoleOf({ other: { logStream: 's' } }, 'eu-west-1'), undefined);
  });

  it('reads resubmitted jobs and array children by their fields', () => {
    assert.deepEqual(
      resubmitsOf({
        batch: {
          reclaimed: [
            { jobId: 'a', reason: 'spot', at: '2026-01-01T00:00:01Z' },
            { jobId: 'b', reason: 'spot', at: 'not a time' },
            'junk',
          ],
        },
      }),
      [
        { jobId: 'a', reason: 'spot', at: '2026-01-01T00:00:01Z' },
        { jobId: 'b', reason: 'spot' },
        { jobId: '', reason: '' },
      ],
    );
    assert.deepEqual(resubmitsOf({ batch: { jobId: 'x' } }), []);
    assert.deepEqual(arrayChildOf({ batch: { arrayJobId: 'p-1', index: 7 } }), { parent: 'p-1', index: 7 });
    assert.equal(arrayChildOf({ batch: { arrayJobId: 'p-1' } }), undefined);
  });
});
