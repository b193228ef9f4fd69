/**
 * Types of the code package: the flow bundled into one ESM file, its source map and a manifest.
 *
 * @module
 */

import type { DependencyLayer } from './layer/build-layer.js';

/**
 * The `manifest.json` inside a code package archive.
 *
 * @example
 * ```ts
 * const m: PackageManifest = {
 *   version: 1, flowFile: 'flow.ts', entry: 'bundle.mjs', externals: [], inputs: ['flow.ts'], nodeMajor: 20,
 * };
 * ```
 */
export interface PackageManifest {
  /** Format version of the package; always 1. */
  readonly version: 1;
  /** The flow file, relative to the flow's folder (`flow.ts`). */
  readonly flowFile: string;
  /** The bundle inside the archive: always `bundle.mjs`. */
  readonly entry: 'bundle.mjs';
  /** Imports left out of the bundle (native add-on packages, `.node` files), sorted. */
  readonly externals: readonly string[];
  /** Every file that went into the bundle, relative to the flow's folder with `/` separators, sorted. */
  readonly inputs: readonly string[];
  /** The Node.js major version the package is meant to run on. */
  readonly nodeMajor: number;
}

/**
 * A built (or loaded) code package.
 *
 * @example
 * ```ts
 * const pkg: CodePackage = await buildCodePackage('/home/me/flows/flow.ts');
 * console.log(pkg.sha, pkg.archive.length, pkg.manifest.inputs);
 * ```
 */
export interface CodePackage {
  /** sha256 (hex) of `archive`; the package's id and its key in the content-addressed store. */
  readonly sha: string;
  /** The deterministic `.tar.gz` holding `bundle.mjs`, `bundle.mjs.map` and `manifest.json`. */
  readonly archive: Buffer;
  /** `bundle.mjs`: the flow, its imports and the framework in one ESM file. */
  readonly bundle: Buffer;
  /** `bundle.mjs.map`: the external source map, with sources content. */
  readonly sourceMap: Buffer;
  /** The parsed `manifest.json`. */
  readonly manifest: PackageManifest;
  /** Milliseconds spent building (0 for a package loaded from the datastore). */
  readonly buildMs: number;
  /**
   * The dependency layer built beside the bundle (`buildCodePackage(..., { layer })`): the packages the
   * bundle leaves external, as `node_modules/...` for one platform. Absent when nothing needs one.
   */
  readonly layer?: DependencyLayer;
}

/**
 * The archive's three file names, sorted as they are stored.
 *
 * @example
 * ```ts
 * for (const name of PACKAGE_FILES) console.log(name, files.get(name)?.length);
 * ```
 */
export const PACKAGE_FILES = ['bundle.mjs', 'bundle.mjs.map', 'manifest.json'] as const;
