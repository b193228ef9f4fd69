/**
 * The S3 data tool (`S3`), modelled on Metaflow's `metaflow.S3`.
 *
 * @module
 */

export {
  S3AccessDeniedError,
  S3ConfigError,
  S3Error,
  type S3ErrorOptions,
  S3InsufficientDiskSpaceError,
  S3InvalidRangeError,
  S3NoSuchBucketError,
  S3NotFoundError,
  type S3Operation,
  S3RetriesExhaustedError,
  S3UrlError,
} from './errors.js';
export {
  type S3GetObject,
  type S3Metadata,
  S3Object,
  type S3ObjectFields,
  type S3PutFile,
  type S3PutObject,
  type S3PutOptions,
  type S3RangeInfo,
} from './objects.js';
export type { S3Options, S3RunRef } from './options.js';
export { S3, type S3GetOptions, type S3OverwriteOptions, type S3PutResult } from './s3.js';
export { readS3Settings, type S3Settings } from './settings.js';
export type { FileOps, WritableFile } from './transfer.js';
