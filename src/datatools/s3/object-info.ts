/**
 * Object info (content type, user metadata, ...) read from GET/HEAD responses, and user metadata
 * written as Metaflow's one JSON header.
 *
 * @module
 */

import { errorMessage } from '../../common/index.js';
import { S3Error } from './errors.js';
import type { S3Metadata } from './objects.js';

/**
 * The user-metadata key Metaflow stores its JSON attributes under (`x-amz-meta-metaflow-user-attributes`).
 *
 * @example
 * ```ts
 * JSON.parse(head.Metadata?.[USER_ATTRIBUTES_KEY] ?? '{}');
 * ```
 */
export const USER_ATTRIBUTES_KEY = 'metaflow-user-attributes';

/**
 * Info common to GET and HEAD responses.
 *
 * @example
 * ```ts
 * const info: ObjectInfo = { contentType: 'text/csv', metadata: { rows: 3 } };
 * ```
 */
export interface ObjectInfo {
  readonly contentType?: string;
  readonly metadata?: S3Metadata;
  readonly lastModified?: Date;
  readonly etag?: string;
  readonly encryption?: string;
  /** The object's size (HEAD only: a ranged GET's length is not the object's size). */
  readonly size?: number;
}

/**
 * The response fields {@link objectInfo} reads (GetObject and HeadObject outputs have them all).
 *
 * @example
 * ```ts
 * const res: InfoResponse = { ContentType: 'text/csv', ContentLength: 12 };
 * ```
 */
export interface InfoResponse {
  readonly ContentType?: string;
  readonly Metadata?: Record<string, string>;
  readonly LastModified?: Date;
  readonly ETag?: string;
  readonly ServerSideEncryption?: string;
  readonly ContentLength?: number;
}

/**
 * Reads the info of a GET or HEAD response. User metadata is the JSON of
 * `metaflow-user-attributes`; other `x-amz-meta-*` headers (written by other tools) are kept as strings.
 *
 * @example
 * ```ts
 * objectInfo({ ContentType: 'text/plain', Metadata: { 'metaflow-user-attributes': '{"a":1}' } }).metadata; // { a: 1 }
 * ```
 */
export function objectInfo(res: InfoResponse, withSize = false): ObjectInfo {
  return {
    contentType: res.ContentType,
    metadata: decodeMetadata(res.Metadata),
    lastModified: res.LastModified,
    etag: res.ETag,
    encryption: res.ServerSideEncryption,
    size: withSize ? res.ContentLength : undefined,
  };
}

function decodeMetadata(raw: Record<string, string> | undefined): S3Metadata | undefined {
  if (!raw || Object.keys(raw).length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k.toLowerCase() !== USER_ATTRIBUTES_KEY) out[k] = v;
  }
  const json = Object.entries(raw).find(([k]) => k.toLowerCase() === USER_ATTRIBUTES_KEY)?.[1];
  if (json !== undefined) {
    try {
      const parsed: unknown = JSON.parse(json);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(out, parsed);
    } catch {
      out[USER_ATTRIBUTES_KEY] = json;
    }
  }
  return out;
}

/**
 * The SDK `Metadata` map for user metadata: one JSON header, non-ASCII characters escaped (HTTP
 * headers are ASCII). Throws {@link S3Error} if the value is not a JSON object.
 *
 * @example
 * ```ts
 * encodeMetadata({ note: 'café' }, 's3://b/k'); // { 'metaflow-user-attributes': '{"note":"caf\\u00e9"}' }
 * ```
 */
export function encodeMetadata(
  metadata: S3Metadata | undefined,
  url: string,
): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(metadata);
  } catch (err) {
    throw new S3Error(`The metadata of ${url} is not JSON: ${errorMessage(err)}.`, url, {
      operation: 'put',
      cause: err,
    });
  }
  if (json === undefined || typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new S3Error(`The metadata of ${url} must be a JSON object such as { source: 'x' }.`, url, {
      operation: 'put',
    });
  }
  const ascii = json.replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return { [USER_ATTRIBUTES_KEY]: ascii };
}
