/**
 * The code package layer: the flow bundled with its dependencies into one deterministic,
 * content-addressed archive that runs the same locally and on AWS Batch.
 *
 * @module
 */

export { manifestJson, packArchive, sha256Hex, unpackCodePackage } from './archive.js';
export { BUNDLE_OUTFILE, type BuildCodePackageOptions, buildCodePackage } from './build.js';
export {
  type BuildMessage,
  formatBuildMessage,
  PackageBuildError,
  PackageError,
  PackageFormatError,
  PackageNotFoundError,
  UnsafeCacheDirError,
  type UnsafeCacheDirProblem,
} from './errors.js';
export { type FrameworkRoot, frameworkRoot } from './framework-root.js';
export {
  type BuildLayerOptions,
  buildDependencyLayer,
  DEFAULT_LAYER_MAX_MB,
  type DependencyLayer,
} from './layer/build-layer.js';
export {
  LayerError,
  LayerInstallError,
  LayerPlatformError,
  LayerTooLargeError,
  type PackageSize,
} from './layer/errors.js';
export { materializeLayer } from './layer/materialize-layer.js';
export {
  binaryPlatform,
  fitsPlatform,
  hostPlatform,
  type JobPlatform,
  type Platform,
  parsePlatform,
  platformLabel,
  samePlatform,
} from './layer/platform.js';
export { findLockfile, platformTree } from './layer/platform-tree.js';
export { type LayerFile, type TracedLayer, traceLayer } from './layer/trace.js';
export { CODE_CACHE_DIR, materializeCodePackage } from './materialize.js';
export { codePackageKey, loadCodePackage, storeCodePackage } from './store.js';
export {
  parseTarHeader,
  readTar,
  readTarEntries,
  streamTarEntries,
  TAR_END,
  TAR_MTIME,
  type TarEntry,
  tarHeader,
  tarPadding,
  writeTar,
} from './tar.js';
export { type CodePackage, PACKAGE_FILES, type PackageManifest } from './types.js';
export { type UserCacheOptions, userCache, userCacheDir, userCachePath } from './user-cache.js';
export { type CacheNotice, VerifiedCache, type VerifiedRead } from './verified-cache.js';
