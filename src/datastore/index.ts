/**
 * The datastore layer: storage backends, the content-addressed artifact store, serializers, and
 * the run and task records. See `ARCHITECTURE.md` for the layout and its invariants.
 *
 * @example
 * ```ts
 * import { FlowDatastore, openStorage, defaultLocalRoot } from './datastore/index.js';
 * const storage = await openStorage({ kind: 'local', root: defaultLocalRoot() });
 * const ds = new FlowDatastore(storage, 'TrainFlow');
 * ```
 *
 * @module
 */

export {
  DEFAULT_LOCAL_ROOT_NAME,
  defaultLocalRoot,
  openStorage,
  registerStorageBackend,
  type StorageBackendFactory,
  storageBackendKinds,
} from './backends.js';
export {
  type BlobBody,
  COMPRESS_MAX_BYTES,
  COMPRESS_MAX_RATIO,
  ContentStore,
  type ContentStoreOptions,
  type ContentStoreStats,
  FRAME_GZIP,
  FRAME_RAW,
  sha256Hex,
} from './content-store.js';
export {
  ArtifactNotFoundError,
  ArtifactSerializationError,
  CorruptBlobError,
  DatastoreError,
  InvalidKeyError,
  StorageError,
  UnknownEncodingError,
} from './errors.js';
export { FlowDatastore, type FlowDatastoreOptions } from './flow-datastore.js';
export {
  type AttemptFileKind,
  attemptFile,
  blobKey,
  checkSegment,
  DATA_DIR,
  isRunId,
  META_DIR,
  PARAMETERS_STEP,
  PARAMETERS_TASK,
  runIdsNewestFirst,
  runPrefix,
  sortIds,
  taskPrefix,
} from './keys.js';
export { LocalStorage } from './local-storage.js';
export { LogSegmentSaver } from './log-segment-saver.js';
export {
  LOG_RECORD_NAME,
  LOG_REWRITE_BYTES,
  LOG_SEGMENT_BYTES,
  type LogRecord,
  logSegmentName,
  SegmentedLog,
} from './log-segments.js';
export { LogWriter, type LogWriterOptions } from './log-writer.js';
export { MemoryStorage } from './memory-storage.js';
export { requireS3Sdk, resolveS3SdkPath, type S3Sdk } from './s3/sdk.js';
export {
  type ArtifactSerializer,
  deserializeArtifact,
  listSerializers,
  registerSerializer,
  type SerializeContext,
  type SerializedArtifact,
  serializeArtifact,
  unregisterSerializer,
  v8Serializer,
} from './serializers.js';
export type {
  ListEntry,
  PutOptions,
  RangedRead,
  ReadFromOptions,
  StorageBackend,
  StorageSpec,
} from './storage.js';
export { type LogStream, readJsonRecord, type TaskDataRecord, TaskDatastore } from './task-datastore.js';
export { TYPED_ARRAY_PREFIX_SIZE, typedArraySerializer } from './typed-array-serializer.js';
export type {
  ArtifactRef,
  AttemptDoneRecord,
  AttemptStartRecord,
  ForeachFrame,
  RunRecord,
  RunStatusRecord,
  TaskErrorInfo,
  Transition,
} from './types.js';
export { v8ChunkingEnabled } from './v8-serializer.js';
export {
  describeType,
  findUnstorable,
  previewValue,
  TYPED_ARRAY_TYPES,
  type UnstorableValue,
} from './value-check.js';
