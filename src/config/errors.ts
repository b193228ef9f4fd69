/**
 * Errors of the config layer.
 *
 * @module
 */

import { brandErrorClass, StepflowError } from '../common/index.js';

/**
 * A setting or a profile file that cannot be used: a missing `METAFLOW_PROFILE` file, a profile that is
 * not valid JSON, or a value of the wrong type (`METAFLOW_S3_RETRY_COUNT=abc`).
 *
 * @example
 * ```ts
 * try {
 *   loadConfig().get('S3_RETRY_COUNT');
 * } catch (err) {
 *   if (err instanceof ConfigError) console.error(err.setting, err.source, err.message);
 * }
 * ```
 */
export class ConfigError extends StepflowError {
  static {
    brandErrorClass(ConfigError, 'ConfigError');
  }

  override readonly name: string = 'ConfigError';
  /** The variable involved, with its prefix (`METAFLOW_S3_RETRY_COUNT`), when one is. */
  readonly setting?: string;
  /** Where the bad value or file came from: an environment variable name or a profile file path. */
  readonly source?: string;

  constructor(message: string, options: { setting?: string; source?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.setting = options.setting;
    this.source = options.source;
  }
}
