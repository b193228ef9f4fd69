/**
 * The esbuild plugins of the code package build: one copy of the framework, native add-ons external.
 *
 * @module
 */

import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'esbuild';
import type { FrameworkRoot } from './framework-root.js';

/**
 * The bare specifier the bundle's entry stub uses to reach the task runner.
 *
 * @example
 * ```ts
 * `import { taskMain, isMainModule } from '${TASK_ENTRY_SPECIFIER}';`
 * ```
 */
export const TASK_ENTRY_SPECIFIER = 'stepflow/internal/task';

/**
 * Resolves `stepflow` to `<root>/index.<ext>` and `stepflow/internal/task` to
 * `<root>/task/entry.<ext>`, so the user's flow and the task runner share one copy of the framework
 * whatever `node_modules` holds. Any other `stepflow/…` subpath is an error.
 *
 * @example
 * ```ts
 * await esbuild.build({ plugins: [frameworkPlugin(frameworkRoot())], ... });
 * ```
 */
export function frameworkPlugin(root: FrameworkRoot): Plugin {
  const targets = new Map<string, string>([
    ['stepflow', path.join(root.dir, `index.${root.ext}`)],
    [TASK_ENTRY_SPECIFIER, path.join(root.dir, 'task', `entry.${root.ext}`)],
  ]);
  return {
    name: 'stepflow-framework',
    setup(build) {
      build.onResolve({ filter: /^stepflow(\/.*)?$/ }, (args) => {
        const target = targets.get(args.path);
        if (target === undefined) {
          return {
            errors: [
              { text: `"${args.path}" is not an entry point of stepflow; import from "stepflow" instead` },
            ],
          };
        }
        if (!existsSync(target)) {
          return {
            errors: [{ text: `stepflow's ${args.path} module is missing: ${target} does not exist` }],
          };
        }
        return { path: target };
      });
    },
  };
}

/** Dependencies that mean "this package loads a compiled add-on". */
const NATIVE_LOADERS = [
  'node-gyp-build',
  'node-gyp-build-optional-packages',
  'bindings',
  'prebuild-install',
  '@mapbox/node-pre-gyp',
];

/**
 * Packages that are never bundled: esbuild's JS API refuses to run from a bundle (it needs its own
 * binary). It can only be reached through a dynamic import that the task path never takes.
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

function isNativePackage(dir: string): boolean {
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return false;
  }
  if (pkg.gypfile === true || existsSync(path.join(dir, 'binding.gyp'))) return true;
  for (const field of ['dependencies', 'optionalDependencies']) {
    const deps = pkg[field];
    if (deps !== null && typeof deps === 'object' && NATIVE_LOADERS.some((n) => Object.hasOwn(deps, n))) {
      return true;
    }
  }
  return false;
}

/**
 * Marks native add-ons external: any `.node` file, and any package whose `package.json` has
 * `"gypfile": true` (or a `binding.gyp`) or that depends on a native loader (`node-gyp-build`,
 * `bindings`, `prebuild-install`, ...). Packages are found the way Node does, walking up
 * `node_modules` folders from the importer; answers are cached per package folder. Every external is
 * added to `externals` (package names, or `.node` paths relative to `baseDir`).
 *
 * @example
 * ```ts
 * const externals = new Set<string>();
 * await esbuild.build({ plugins: [nativeAddonPlugin(externals, flowDir)], ... });
 * ```
 */
export function nativeAddonPlugin(externals: Set<string>, baseDir: string): Plugin {
  const nativeByDir = new Map<string, boolean>();
  const dirByLookup = new Map<string, string | null>();

  const findPackageDir = (resolveDir: string, name: string): string | null => {
    const key = `${resolveDir}\0${name}`;
    const cached = dirByLookup.get(key);
    if (cached !== undefined) return cached;
    let found: string | null = null;
    for (let dir = resolveDir; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) {
        found = candidate;
        break;
      }
      if (path.dirname(dir) === dir) break;
    }
    dirByLookup.set(key, found);
    return found;
  };

  return {
    name: 'stepflow-native-addons',
    setup(build) {
      build.onResolve({ filter: /\.node$/ }, (args) => {
        if (!args.path.startsWith('.') && !path.isAbsolute(args.path)) return undefined;
        const file = path.resolve(args.resolveDir, args.path);
        externals.add(path.relative(baseDir, file).split(path.sep).join('/'));
        return { path: file, external: true };
      });
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (isBuiltin(args.path) || path.isAbsolute(args.path) || args.resolveDir === '') return undefined;
        const name = packageName(args.path);
        if (ALWAYS_EXTERNAL.has(name)) {
          externals.add(name);
          return { path: args.path, external: true };
        }
        const dir = findPackageDir(args.resolveDir, name);
        if (dir === null) return undefined;
        let native = nativeByDir.get(dir);
        if (native === undefined) {
          native = isNativePackage(dir);
          nativeByDir.set(dir, native);
        }
        if (!native) return undefined;
        externals.add(name);
        return { path: args.path, external: true };
      });
    },
  };
}
