/**
 * Credentials inside the container, found the way the AWS SDK's default chain finds them: environment
 * variables, then the ECS container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI` with
 * `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`, or `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` on
 * 169.254.170.2), then the EC2 instance metadata service (IMDSv2). Nothing is ever passed in by stepflow.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import type { Credentials } from './sigv4.js';

/**
 * The environment the bootstrap reads.
 *
 * @example
 * ```ts
 * const env: Env = process.env;
 * ```
 */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * `fetch`, injectable for tests.
 *
 * @example
 * ```ts
 * const f: Fetch = fetch as unknown as Fetch;
 * ```
 */
export type Fetch = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: Uint8Array },
) => Promise<{
  readonly ok: boolean;
  readonly status: number;
  text(): Promise<string>;
}>;

/**
 * The ECS task metadata host for relative credential URIs.
 *
 * @example
 * ```ts
 * `${ECS_CREDENTIALS_HOST}${process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}`;
 * ```
 */
export const ECS_CREDENTIALS_HOST = 'http://169.254.170.2';
const IMDS = 'http://169.254.169.254';

interface ContainerCredentials {
  AccessKeyId?: string;
  SecretAccessKey?: string;
  Token?: string;
}

async function getJson(fetchImpl: Fetch, url: string, headers: Record<string, string>): Promise<unknown> {
  const res = await fetchImpl(url, { headers });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`credentials endpoint ${url} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

function fromContainerJson(value: unknown, where: string): Credentials {
  const c = value as ContainerCredentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey)
    throw new Error(`${where} returned no AccessKeyId/SecretAccessKey`);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.Token };
}

/**
 * The container's AWS credentials, as the SDK's default provider chain would find them.
 *
 * @example
 * ```ts
 * const creds = await resolveCredentials(process.env, fetch);
 * ```
 */
export async function resolveCredentials(env: Env, fetchImpl: Fetch): Promise<Credentials> {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
    };
  }
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  if (full || relative) {
    const url = full || `${ECS_CREDENTIALS_HOST}${relative}`;
    const headers: Record<string, string> = {};
    const tokenFile = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
    const token = tokenFile ? readFileSync(tokenFile, 'utf8').trim() : env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
    if (token) headers.authorization = token;
    return fromContainerJson(await getJson(fetchImpl, url, headers), url);
  }
  // IMDSv2: the instance's role (an EC2 job without a role of its own).
  const tokenRes = await fetchImpl(`${IMDS}/latest/api/token`, {
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' },
  });
  if (!tokenRes.ok)
    throw new Error(
      `no credentials: no AWS_* variables, no container endpoint, IMDS HTTP ${tokenRes.status}`,
    );
  const headers = { 'x-aws-ec2-metadata-token': await tokenRes.text() };
  const base = `${IMDS}/latest/meta-data/iam/security-credentials/`;
  const roleRes = await fetchImpl(base, { headers });
  const role = (await roleRes.text()).split('\n')[0]?.trim();
  if (!roleRes.ok || !role) throw new Error('no credentials: the instance has no IAM role');
  return fromContainerJson(await getJson(fetchImpl, base + role, headers), 'the instance metadata service');
}
