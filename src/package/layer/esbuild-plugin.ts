/**
 * The esbuild plugin that leaves out of the bundle what cannot be bundled (and goes into the
 * dependency layer), and notes the packages that may read files next to their modules.
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'esbuild';
import {
  findPackageDir,
  mentionsOwnLocation,
  type PackageInspector,
  packageRootOf,
  readPackageJson,
} from './detect.js';

/**
 * What the plugin reads and records during one build.
 *
 * @example
 * ```ts
 * const state: LayerPluginState = { externals: new Set(), forced: new Set(['sharp']), inspector: new PackageInspector(), suspects: new Map() };
 * ```
 */
export interface LayerPluginState {
  /** Filled: the external specifiers (package names, or `.node` paths relative to the flow's folder). */
  readonly externals: Set<string>;
  /** Package names always left external (the image provides them, or they read their own files). */
  readonly forced: ReadonlySet<string>;
  readonly inspector: PackageInspector;
  /** Filled: package folder → its bundled modules that mention their own location. */
  readonly suspects: Map<string, Set<string>>;
}

/**
 * Packages that are never bundled nor shipped: esbuild's JS API refuses to run from a bundle (it needs its
 * own binary). It can only be reached through a dynamic import that the task path never takes (the
 * launcher's SDK bundle, built on the launching machine), so a flow's layer does not carry it either.
 */
const ALWAYS_EXTERNAL = new Set(['esbuild']);

/**
 * The package name of a bare specifier.
 *
 * @example
 * ```ts
 * packageName('@scope/name/x.js'); // '@scope/name'
 * packageName('lodash/fp'); // 'lodash'
 * ```
 */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Whether the package that owns `importer` declares `name` as an optional dependency (or optional peer). */
function isOptionalOf(importer: string, name: string): boolean {
  const root = packageRootOf(importer);
  const pkg = root === null ? undefined : readPackageJson(root);
  if (pkg === undefined) return false;
  const optional = pkg.optionalDependencies as Record<string, unknown> | undefined;
  const peerMeta = pkg.peerDependenciesMeta as Record<string, { optional?: boolean }> | undefined;
  return (optional !== undefined && Object.hasOwn(optional, name)) || peerMeta?.[name]?.optional === true;
}

/**
 * Leaves external: relative `.node` files; `esbuild`; the `forced` packages; every package the
 * inspector says cannot be bundled (native add-ons, platform pickers, WASM, binaries); and optional
 * dependencies that are not installed (as plain `node` would, they fail only if reached). Modules
 * under `node_modules` that mention `__dirname`/`import.meta.url` are recorded in `suspects`.
 *
 * @example
 * ```ts
 * await esbuild.build({ plugins: [layerPlugin(state)], ... });
 * console.log([...state.externals]);
 * ```
 */
export function layerPlugin(state: LayerPluginState, baseDir: string): Plugin {
  return {
    name: 'stepflow-dependency-layer',
    setup(build) {
      build.onResolve({ filter: /\.node$/ }, (args) => {
        if (!args.path.startsWith('.') && !path.isAbsolute(args.path)) return undefined;
        const file = path.resolve(args.resolveDir, args.path);
        state.externals.add(path.relative(baseDir, file).split(path.sep).join('/'));
        return { path: file, external: true };
      });
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (isBuiltin(args.path) || path.isAbsolute(args.path) || args.resolveDir === '') return undefined;
        const name = packageName(args.path);
        // Left out of the bundle and of the layer: the task path never loads it (see ALWAYS_EXTERNAL).
        if (ALWAYS_EXTERNAL.has(name)) return { path: args.path, external: true };
        if (state.forced.has(name)) {
          state.externals.add(name);
          return { path: args.path, external: true };
        }
        const dir = findPackageDir(args.resolveDir, name);
        if (dir === null) {
          if (args.importer !== '' && isOptionalOf(args.importer, name))
            return { path: args.path, external: true };
          return undefined; // esbuild reports it, with the import site.
        }
        if (state.inspector.layerReason(dir) === undefined) return undefined;
        state.externals.add(name);
        return { path: args.path, external: true };
      });
      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.[cm]?js$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8').catch(() => '');
        if (mentionsOwnLocation(source)) {
          const root = packageRootOf(args.path);
          if (root !== null) {
            const files = state.suspects.get(root) ?? new Set<string>();
            files.add(args.path);
            state.suspects.set(root, files);
          }
        }
        return undefined;
      });
    },
  };
}
