import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, definitionName, jobNameFor } from './names.js';

const VALID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

describe('names', () => {
  it('jobNameFor cleans names to AWS pattern and never fails', () => {
    const base = {
      user: 'jane',
      flowName: 'TrainFlow',
      runId: '1712',
      stepName: 'train',
      taskId: '3',
      attempt: 0,
    };
    const cases: Array<[Partial<typeof base>, string]> = [
      [{}, 'jane-TrainFlow-1712-train-3-0'],
      [{ user: 'jane.doe' }, 'jane_doe-TrainFlow-1712-train-3-0'],
      [{ user: 'Jane Doe' }, 'Jane_Doe-TrainFlow-1712-train-3-0'],
      [{ user: 'josé@corp' }, 'jos_corp-TrainFlow-1712-train-3-0'],
      [{ user: '_svc' }, 'svc-TrainFlow-1712-train-3-0'],
      [{ user: '' }, 'TrainFlow-1712-train-3-0'],
      [{ runId: 'sfn-abc/1', attempt: 2 }, 'jane-TrainFlow-sfn-abc_1-train-3-2'],
    ];
    for (const [parts, expected] of cases) {
      const name = jobNameFor({ ...base, ...parts });
      assert.equal(name, expected);
      assert.match(name, VALID);
    }
    const long = jobNameFor({ ...base, flowName: 'F'.repeat(200), taskId: '12345', attempt: 5 });
    assert.equal(long.length, 128);
    assert.match(long, VALID);
    assert.match(long, /^jane-FFFF.*-[0-9a-f]{8}-12345-5$/);
    const other = jobNameFor({ ...base, flowName: `${'F'.repeat(199)}G`, taskId: '12345', attempt: 5 });
    assert.notEqual(long, other, 'long names stay distinct');
    const hugeTask = jobNameFor({ ...base, taskId: 'x'.repeat(300) });
    assert.ok(hugeTask.length <= 128);
    assert.match(hugeTask, VALID);
  });

  it('canonicalJson sorts keys at every level and keeps array order', () => {
    assert.equal(
      canonicalJson({ b: 1, a: [{ d: 2, c: 3 }, 1], u: undefined }),
      '{"a":[{"c":3,"d":2},1],"b":1}',
    );
  });

  it('definitionName: same content → same name, any change → new name, key order irrelevant', () => {
    const content = {
      type: 'container',
      containerProperties: { image: 'node:22', jobRoleArn: 'r' },
      retryStrategy: { attempts: 1 },
    };
    const name = definitionName(content);
    assert.match(name, /^stepflow-[0-9a-f]{16}$/);
    assert.equal(definitionName(structuredClone(content)), name);
    assert.equal(
      definitionName({
        retryStrategy: { attempts: 1 },
        containerProperties: { jobRoleArn: 'r', image: 'node:22' },
        type: 'container',
      }),
      name,
    );
    assert.notEqual(
      definitionName({ ...content, containerProperties: { image: 'node:20', jobRoleArn: 'r' } }),
      name,
    );
    assert.notEqual(definitionName({ ...content, retryStrategy: { attempts: 2 } }), name);
  });
});
