/**
 * Shared AWS plumbing (the public surface of `src/aws/`): loading SDK packages, the region, reading and
 * classifying AWS errors, the retry helper for transient failures, and bounded concurrency. Used by the
 * S3 datastore, the `S3` data tool and `@batch`; it imports nothing of stepflow's other folders.
 *
 * @module
 */

export { Limiter, mapBounded } from '../common/index.js';
export {
  awsErrorCode,
  awsErrorCodes,
  awsHttpStatus,
  describeAwsError,
  describeAwsFailure,
  isNetworkFailure,
  isPermissionDenied,
  isThrottling,
  isTransientAwsError,
  type RetryKind,
  retryKind,
} from './error-info.js';
export { AwsError, AwsSdkMissingError } from './errors.js';
export {
  awsConfigFile,
  awsProfile,
  awsRegion,
  DEFAULT_REGION,
  profileSettings,
  type RegionSource,
  type ResolvedRegion,
  regionEnvironment,
  resolveRegion,
} from './region.js';
export { backoffDelay, type RetryPolicy, type WithRetriesOptions, withRetries } from './retry.js';
export {
  quietly,
  quietSdkEnv,
  requireAwsPackage,
  resolveAwsPackage,
  S3_SDK_PACKAGE,
  SDK_PATH_ENV,
} from './sdk.js';
