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
export { CODE_CACHE_DIR, materializeCodePackage } from './materialize.js';
export { codePackageKey, loadCodePackage, storeCodePackage } from './store.js';
export { readTar, TAR_MTIME, type TarEntry, writeTar } from './tar.js';
export { type CodePackage, PACKAGE_FILES, type PackageManifest } from './types.js';
export { type UserCacheOptions, userCache, userCacheDir, userCachePath } from './user-cache.js';
export { type CacheNotice, VerifiedCache, type VerifiedRead } from './verified-cache.js';
