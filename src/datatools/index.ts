/**
 * The datatools layer's public surface: other folders import it through this file (a deep import fails the
 * boundary check, see ARCHITECTURE.md).
 *
 * @example
 * ```ts
 * import { S3 } from '../datatools/index.js';
 * ```
 *
 * @module
 */
export {
  S3,
  S3AccessDeniedError,
  S3ConfigError,
  S3Error,
  type S3GetObject,
  type S3GetOptions,
  S3InsufficientDiskSpaceError,
  S3InvalidRangeError,
  type S3Metadata,
  S3NoSuchBucketError,
  S3NotFoundError,
  S3Object,
  type S3Options,
  type S3OverwriteOptions,
  type S3PutFile,
  type S3PutObject,
  type S3PutOptions,
  type S3PutResult,
  type S3RangeInfo,
  S3RetriesExhaustedError,
  type S3RunRef,
  S3UrlError,
} from './s3/index.js';
