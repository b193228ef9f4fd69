/**
 * AWS Signature Version 4 for one request, with `node:crypto` only: the container bootstrap signs its S3
 * GET of the code package with it (the image has no SDK). No dependency, no import besides node built-ins.
 *
 * @module
 */
import { createHash, createHmac } from 'node:crypto';

/**
 * AWS credentials, as the SDK names them.
 *
 * @example
 * ```ts
 * const creds: Credentials = { accessKeyId: 'AKIA...', secretAccessKey: '...', sessionToken: '...' };
 * ```
 */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * One request to sign.
 *
 * @example
 * ```ts
 * const input: SignInput = { method: 'GET', url, region: 'us-east-1', service: 's3', credentials };
 * ```
 */
export interface SignInput {
  readonly method: string;
  readonly url: URL;
  readonly region: string;
  readonly service: string;
  readonly credentials: Credentials;
  /** Extra headers to sign (lower-case names). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Hex sha256 of the body (default: the empty body's); S3 also takes `UNSIGNED-PAYLOAD`. */
  readonly payloadHash?: string;
  readonly date?: Date;
}

/**
 * sha256 of the empty string, hex.
 *
 * @example
 * ```ts
 * signRequest({ ...input, payloadHash: EMPTY_SHA256 });
 * ```
 */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
const hex = (data: string): string => createHash('sha256').update(data).digest('hex');

/** RFC 3986 encoding, as SigV4 wants it (`encodeURIComponent` leaves `!'()*` alone). */
function encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function canonicalQuery(url: URL): string {
  const pairs = [...url.searchParams].map(([k, v]) => [encode(k), encode(v)] as const);
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/**
 * The headers that sign a request (`authorization`, `x-amz-date`, `x-amz-content-sha256`, and
 * `x-amz-security-token` with temporary credentials), to send with the `headers` that were signed. The
 * path is encoded once per segment (S3's rule).
 *
 * @example
 * ```ts
 * const headers = signRequest({ method: 'GET', url: new URL('https://b.s3.us-east-1.amazonaws.com/k'),
 *   region: 'us-east-1', service: 's3', credentials, payloadHash: 'UNSIGNED-PAYLOAD' });
 * await fetch(url, { headers });
 * ```
 */
export function signRequest(input: SignInput): Record<string, string> {
  const date = input.date ?? new Date();
  const amzDate = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = input.payloadHash ?? EMPTY_SHA256;
  const headers: Record<string, string> = {
    ...input.headers,
    host: input.url.host,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': payloadHash,
  };
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const names = Object.keys(headers)
    .map((n) => n.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonicalHeaders = names
    .map((n) => `${n}:${String(lower[n]).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const signedHeaders = names.join(';');
  const path = input.url.pathname
    .split('/')
    .map((segment) => encode(decodeURIComponent(segment)))
    .join('/');
  const canonical = [
    input.method,
    path || '/',
    canonicalQuery(input.url),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(canonical)].join('\n');
  let key = hmac(`AWS4${input.credentials.secretAccessKey}`, day);
  for (const part of [input.region, input.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const { host: _host, ...sent } = headers;
  return {
    ...sent,
    authorization:
      `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

/**
 * The URL of an S3 object: path-style under `endpoint` when one is given (`METAFLOW_S3_ENDPOINT_URL`),
 * else virtual-hosted `https://<bucket>.s3.<region>.amazonaws.com/<key>`.
 *
 * @example
 * ```ts
 * s3ObjectUrl('b', 'F/data/ab/abcd', 'eu-west-1').href; // 'https://b.s3.eu-west-1.amazonaws.com/F/data/ab/abcd'
 * ```
 */
export function s3ObjectUrl(bucket: string, key: string, region: string, endpoint?: string): URL {
  const path = key.split('/').map(encode).join('/');
  if (endpoint) return new URL(`${endpoint.replace(/\/+$/, '')}/${encode(bucket)}/${path}`);
  return new URL(`https://${bucket}.s3.${region}.amazonaws.com/${path}`);
}
