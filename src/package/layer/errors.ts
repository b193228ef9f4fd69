/**
 * Errors of the dependency layer: a platform that cannot be served, a layer over the size limit, a
 * tree for another platform that npm could not install.
 *
 * @module
 */

import { brandErrorClass } from '../../common/index.js';

import { PackageError } from '../errors.js';

/**
 * Base class of the dependency layer's errors.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof LayerError) console.error(e.message); }
 * ```
 */
export class LayerError extends PackageError {
  static {
    brandErrorClass(LayerError, 'LayerError');
  }

  override readonly name: string = 'LayerError';
  /** The platform the layer was built for (`linux-arm64`), when known. */
  readonly platform?: string;
  constructor(message: string, options: { platform?: string; flowFile?: string; cause?: unknown } = {}) {
    super(message, options);
    this.platform = options.platform;
  }
}

/**
 * A platform that is not a job platform, or a native package with no build for the job's platform.
 *
 * @example
 * ```ts
 * throw new LayerPlatformError('sharp has no build for linux-arm64', { platform: 'linux-arm64', packageName: 'sharp' });
 * ```
 */
export class LayerPlatformError extends LayerError {
  static {
    brandErrorClass(LayerPlatformError, 'LayerPlatformError');
  }

  override readonly name = 'LayerPlatformError';
  /** The package without a build for the platform, when one is to blame. */
  readonly packageName?: string;
  constructor(message: string, options: { platform?: string; packageName?: string; cause?: unknown } = {}) {
    super(message, options);
    this.packageName = options.packageName;
  }
}

/**
 * One package's share of a layer, for {@link LayerTooLargeError}.
 *
 * @example
 * ```ts
 * const share: PackageSize = { name: '@duckdb/node-bindings-linux-x64', bytes: 68_000_000 };
 * ```
 */
export interface PackageSize {
  readonly name: string;
  readonly bytes: number;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * The layer's files add up to more than `STEPFLOW_LAYER_MAX_MB`.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof LayerTooLargeError) console.table(e.packages); }
 * ```
 */
export class LayerTooLargeError extends LayerError {
  static {
    brandErrorClass(LayerTooLargeError, 'LayerTooLargeError');
  }

  override readonly name = 'LayerTooLargeError';
  readonly bytes: number;
  readonly limitBytes: number;
  /** Every package's bytes, largest first. */
  readonly packages: readonly PackageSize[];
  constructor(
    bytes: number,
    limitBytes: number,
    packages: readonly PackageSize[],
    options: { platform?: string } = {},
  ) {
    const top = packages.slice(0, 15).map((p) => `  ${p.name}: ${mb(p.bytes)}`);
    const more = packages.length > 15 ? [`  ... and ${packages.length - 15} more`] : [];
    super(
      `The dependency layer${options.platform ? ` for ${options.platform}` : ''} is ${mb(bytes)}, over the ` +
        `limit of ${mb(limitBytes)} (STEPFLOW_LAYER_MAX_MB). Its packages:\n${[...top, ...more].join('\n')}\n` +
        'Import less (or lighter packages), let the image provide the large ones, or raise STEPFLOW_LAYER_MAX_MB.',
      options,
    );
    this.bytes = bytes;
    this.limitBytes = limitBytes;
    this.packages = packages;
  }
}

/**
 * The node_modules tree for another platform could not be installed (no lockfile, npm failed).
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof LayerInstallError) console.error(e.output); }
 * ```
 */
export class LayerInstallError extends LayerError {
  static {
    brandErrorClass(LayerInstallError, 'LayerInstallError');
  }

  override readonly name = 'LayerInstallError';
  /** What npm printed, when it ran. */
  readonly output?: string;
  constructor(message: string, options: { platform?: string; output?: string; cause?: unknown } = {}) {
    super(message, options);
    this.output = options.output;
  }
}
