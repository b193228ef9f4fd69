import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { awsConfigFile, profileSettings, regionEnvironment, resolveRegion } from './region.js';

const CONFIG = `# a comment
[default]
region = us-west-2
output = json

[profile dev]
; another comment
region=eu-west-1   # trailing comment
s3 =
  max_concurrent_requests = 20
  region = ap-south-1

[profile noregion]
output = text

[sso-session corp]
region = ca-central-1
`;

describe('resolveRegion (as boto3 and the AWS CLI)', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'stepflow-region-'));
    file = path.join(dir, 'config');
    await writeFile(file, CONFIG);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('takes AWS_REGION first, then AWS_DEFAULT_REGION', () => {
    const env = { AWS_CONFIG_FILE: file, AWS_REGION: 'eu-north-1', AWS_DEFAULT_REGION: 'us-east-2' };
    assert.deepEqual(resolveRegion(env), { region: 'eu-north-1', source: 'AWS_REGION' });
    const { AWS_REGION: _, ...onlyDefault } = env;
    assert.deepEqual(resolveRegion(onlyDefault), { region: 'us-east-2', source: 'AWS_DEFAULT_REGION' });
  });

  it("reads the profile's region from AWS_CONFIG_FILE: [default], [profile x], AWS_DEFAULT_PROFILE", () => {
    assert.deepEqual(resolveRegion({ AWS_CONFIG_FILE: file }), {
      region: 'us-west-2',
      source: 'config file',
      file,
      profile: 'default',
    });
    assert.equal(resolveRegion({ AWS_CONFIG_FILE: file, AWS_PROFILE: 'dev' }).region, 'eu-west-1');
    assert.equal(resolveRegion({ AWS_CONFIG_FILE: file, AWS_DEFAULT_PROFILE: 'dev' }).region, 'eu-west-1');
  });

  it('falls back to us-east-1 for a profile without a region, a missing file, or another section kind', () => {
    assert.deepEqual(resolveRegion({ AWS_CONFIG_FILE: file, AWS_PROFILE: 'noregion' }), {
      region: 'us-east-1',
      source: 'default',
    });
    assert.equal(resolveRegion({ AWS_CONFIG_FILE: path.join(dir, 'none') }).region, 'us-east-1');
    assert.equal(resolveRegion({ AWS_CONFIG_FILE: file, AWS_PROFILE: 'corp' }).region, 'us-east-1');
  });

  it('finds ~/.aws/config from HOME when AWS_CONFIG_FILE is not set', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'stepflow-home-'));
    try {
      await mkdir(path.join(home, '.aws'));
      await writeFile(path.join(home, '.aws', 'config'), '[profile work]\nregion = sa-east-1\n');
      assert.equal(awsConfigFile({ HOME: home }), path.join(home, '.aws', 'config'));
      assert.equal(resolveRegion({ HOME: home, AWS_PROFILE: 'work' }).region, 'sa-east-1');
      assert.equal(awsConfigFile({ HOME: home, AWS_CONFIG_FILE: '~/x.conf' }), path.join(home, 'x.conf'));
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('ignores nested settings and comments when reading a profile', () => {
    assert.deepEqual(profileSettings(CONFIG, 'dev'), { region: 'eu-west-1', s3: '' });
  });

  it("gives a job both variables with this side's region", () => {
    assert.deepEqual(regionEnvironment({ AWS_DEFAULT_REGION: 'eu-west-3' }), {
      AWS_REGION: 'eu-west-3',
      AWS_DEFAULT_REGION: 'eu-west-3',
    });
  });
});
