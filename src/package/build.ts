/**
 * Building the code package: the flow and everything it imports bundled by esbuild into one ESM
 * file plus a source map, then packed into a deterministic archive.
 *
 * @module
 */

import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BuildOptions, Message } from 'esbuild';
import { errorMessage } from '../common/index.js';
import { packArchive, sha256Hex } from './archive.js';
import { type BuildMessage, PackageBuildError } from './errors.js';
import { type FrameworkRoot, frameworkRoot } from './framework-root.js';
import { buildDependencyLayer } from './layer/build-layer.js';
import { findPackageDir, PackageInspector, readPackageJson } from './layer/detect.js';
import { type LayerPluginState, layerPlugin } from './layer/esbuild-plugin.js';
import { packagesReadingOwnFiles } from './layer/own-files.js';
import type { Platform } from './layer/platform.js';
import { frameworkPlugin, TASK_ENTRY_SPECIFIER } from './plugins.js';
import type { CodePackage, PackageManifest } from './types.js';
import { userCacheDir } from './user-cache.js';

/** The name the generated entry stub has in the bundle and its source map. */
const ENTRY_NAME = 'stepflow-entry.js';

/**
 * Where esbuild is told the bundle goes, relative to the flow's folder (never written there). It sits
 * at the same depth as `.stepflow-cache/code/<sha>/bundle.mjs`, so the map's `../../../` sources fit.
 *
 * @example
 * ```ts
 * path.join(flowDir, BUNDLE_OUTFILE); // '<flowDir>/.stepflow-cache/code/pkg/bundle.mjs'
 * ```
 */
export const BUNDLE_OUTFILE = path.join('.stepflow-cache', 'code', 'pkg', 'bundle.mjs');

/**
 * Defines `require` (CommonJS dependencies inside an ESM bundle need it) and `__filename`/`__dirname`
 * under private names; `define` maps the free `__filename`/`__dirname` onto them, so a module that
 * declares its own `__dirname` does not collide (esbuild renames every module-level `require`).
 */
const BANNER = [
  "import { createRequire as __stepflowCreateRequire } from 'node:module';",
  "import { dirname as __stepflowDirname } from 'node:path';",
  "import { fileURLToPath as __stepflowFileURLToPath } from 'node:url';",
  'const require = __stepflowCreateRequire(import.meta.url);',
  'const __stepflow_filename = __stepflowFileURLToPath(import.meta.url);',
  'const __stepflow_dirname = __stepflowDirname(__stepflow_filename);',
].join('\n');

/**
 * Options of {@link buildCodePackage}.
 *
 * @example
 * ```ts
 * const options: BuildCodePackageOptions = { nodeMajor: 20 };
 * ```
 */
export interface BuildCodePackageOptions {
  /** The Node.js major version recorded in the manifest (default: the current process's). */
  readonly nodeMajor?: number;
  /** The framework sources to bundle (default: {@link frameworkRoot}); for tests and custom layouts. */
  readonly frameworkRoot?: FrameworkRoot;
  /**
   * Build the dependency layer too, for `platform` (`hostPlatform()` for a local run, the job's for
   * AWS Batch); `provided` names packages the job's image supplies (left external, not shipped).
   */
  readonly layer?: { readonly platform: Platform; readonly provided?: readonly string[] };
  /** Refuse a layer over this many bytes (default: `STEPFLOW_LAYER_MAX_MB`, 2048 MiB). */
  readonly layerMaxBytes?: number;
  /** The per-user cache (layers, platform trees); default `userCacheDir()`. */
  readonly cacheDir?: string;
}

/** Decorator semantics forced on every file, whatever the user's tsconfig says. */
const FORCED_COMPILER_OPTIONS = { experimentalDecorators: false, useDefineForClassFields: true };

/**
 * esbuild's `tsconfigRaw` replaces tsconfig discovery, so the nearest `tsconfig.json` above the flow
 * is pulled in through `extends` (keeping `paths`, `baseUrl`, `jsx`, ...) with the decorator
 * settings forced on top.
 */
async function tsconfigRaw(flowDir: string): Promise<string> {
  for (let dir = flowDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'tsconfig.json');
    const found = await access(candidate).then(
      () => true,
      () => false,
    );
    if (found) return JSON.stringify({ extends: candidate, compilerOptions: FORCED_COMPILER_OPTIONS });
    if (path.dirname(dir) === dir) return JSON.stringify({ compilerOptions: FORCED_COMPILER_OPTIONS });
  }
}

/** The generated entry module: imports the flow and the task runner from the same bundle. */
function entryStub(flowFile: string): string {
  const flowImport = JSON.stringify(`./${path.basename(flowFile)}`);
  return [
    `import * as flowModule from ${flowImport};`,
    `import { taskMain, isMainModule } from ${JSON.stringify(TASK_ENTRY_SPECIFIER)};`,
    'export { flowModule };',
    'if (isMainModule(import.meta.url)) await taskMain(flowModule, process.argv.slice(2));',
    '',
  ].join('\n');
}

function toBuildMessage(message: Message, flowDir: string): BuildMessage {
  const loc = message.location;
  if (loc === null || loc.file === '' || loc.file === ENTRY_NAME) {
    return {
      text: loc?.file === ENTRY_NAME ? `in the generated entry module: ${message.text}` : message.text,
    };
  }
  return {
    file: path.resolve(flowDir, loc.file),
    line: loc.line,
    column: loc.column + 1,
    text: withInstallHint(message.text, path.dirname(path.resolve(flowDir, loc.file))),
  };
}

/** `Could not resolve "pkg"` for a bare specifier: the package is not installed; say what to run. */
function withInstallHint(text: string, importerDir: string): string {
  const missing = /^Could not resolve "([^".][^"]*)"$/.exec(text)?.[1];
  if (missing === undefined || path.isAbsolute(missing)) return text;
  const parts = missing.split('/');
  const name = missing.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  if (findPackageDir(importerDir, name) !== null) {
    return `${text}: package ${name} is installed but has no "${missing}" (check the import path and its version)`;
  }
  return `${text}: package ${name} is not installed; run \`npm install ${name}\` in the project`;
}

function toBuildError(flowFile: string, flowDir: string, error: unknown): PackageBuildError {
  const errors = (error as { errors?: unknown } | null)?.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return new PackageBuildError(
      flowFile,
      (errors as Message[]).map((m) => toBuildMessage(m, flowDir)),
      { cause: error },
    );
  }
  return new PackageBuildError(flowFile, [{ text: errorMessage(error) }], {
    cause: error,
  });
}

function newState(forced: ReadonlySet<string>, inspector: PackageInspector): LayerPluginState {
  return { externals: new Set(), forced, inspector, suspects: new Map() };
}

type BuildResult = Awaited<
  ReturnType<typeof import('esbuild').build<BuildOptions & { write: false; metafile: true }>>
>;

/** One esbuild run over the flow's entry stub. */
async function bundle(
  file: string,
  flowDir: string,
  options: BuildCodePackageOptions,
  state: LayerPluginState,
): Promise<BuildResult> {
  const buildOptions: BuildOptions & { write: false; metafile: true } = {
    stdin: { contents: entryStub(file), resolveDir: flowDir, sourcefile: ENTRY_NAME, loader: 'js' },
    absWorkingDir: flowDir,
    outfile: path.join(flowDir, BUNDLE_OUTFILE),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked', // external map file plus the `//# sourceMappingURL=bundle.mjs.map` comment
    sourcesContent: true,
    write: false,
    metafile: true,
    legalComments: 'none',
    keepNames: true,
    // Whitespace and syntax only (names kept): a smaller bundle compiles faster in every task process, and
    // the source map still maps stacks to the sources.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'silent',
    banner: { js: BANNER },
    define: { __filename: '__stepflow_filename', __dirname: '__stepflow_dirname' },
    tsconfigRaw: await tsconfigRaw(flowDir),
    plugins: [frameworkPlugin(options.frameworkRoot ?? frameworkRoot()), layerPlugin(state, flowDir)],
  };

  try {
    // Loaded lazily: a bundle that (indirectly) contains this module must not need esbuild to start.
    const esbuild = await import('esbuild');
    return await esbuild.build(buildOptions);
  } catch (error) {
    throw toBuildError(file, flowDir, error);
  }
}

/**
 * Bundles a flow file (with its local modules, npm dependencies and one copy of the framework) into a
 * code package. Same sources give the same bytes and the same sha, whatever the files' mtimes.
 * Throws a {@link PackageBuildError} listing esbuild's errors as `file:line:col: text`.
 *
 * @example
 * ```ts
 * const pkg = await buildCodePackage('examples/hello-flow.ts');
 * console.log(pkg.sha, `${pkg.archive.length} bytes in ${pkg.buildMs} ms`, pkg.manifest.externals);
 * ```
 */
export async function buildCodePackage(
  flowFile: string,
  options: BuildCodePackageOptions = {},
): Promise<CodePackage> {
  const started = performance.now();
  const file = path.resolve(flowFile);
  const flowDir = path.dirname(file);
  const isFile = await stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!isFile) throw new PackageBuildError(file, [{ file, text: 'the flow file does not exist' }]);

  const cacheDir = (): string => options.cacheDir ?? userCacheDir();
  const forced = new Set(options.layer?.provided ?? []);
  const inspector = new PackageInspector();
  let state = newState(forced, inspector);
  let result = await bundle(file, flowDir, options, state);
  // Packages that read files next to their modules cannot be bundled either: once found, build again
  // with them external.
  const suspects = new Map([...state.suspects].filter(([dir]) => inspector.layerReason(dir) === undefined));
  const readers =
    suspects.size === 0 ? new Map<string, string>() : await packagesReadingOwnFiles(suspects, cacheDir());
  if (readers.size > 0) {
    for (const [dir, dataFile] of readers) {
      inspector.setReason(dir, `reads ${dataFile} next to its modules`);
      const name = readPackageJson(dir)?.name;
      if (typeof name === 'string') forced.add(name);
    }
    state = newState(forced, inspector);
    result = await bundle(file, flowDir, options, state);
  }
  const externals = state.externals;

  const bundleFile = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
  const mapFile = result.outputFiles.find((f) => f.path.endsWith('.mjs.map'));
  if (bundleFile === undefined || mapFile === undefined) {
    throw new PackageBuildError(file, [{ text: 'esbuild produced no bundle or no source map' }]);
  }
  const bundleBytes = Buffer.from(bundleFile.contents);
  const sourceMap = Buffer.from(mapFile.contents);
  const manifest: PackageManifest = {
    version: 1,
    flowFile: path.relative(flowDir, file).split(path.sep).join('/'),
    entry: 'bundle.mjs',
    externals: [...externals].sort(),
    inputs: Object.keys(result.metafile.inputs)
      .filter((input) => input !== ENTRY_NAME)
      .map((input) => input.split(path.sep).join('/'))
      .sort(),
    nodeMajor: options.nodeMajor ?? Number(process.versions.node.split('.')[0]),
  };
  const archive = packArchive(bundleBytes, sourceMap, manifest);
  const layer =
    options.layer === undefined
      ? undefined
      : await buildDependencyLayer({
          flowDir,
          specifiers: manifest.externals,
          platform: options.layer.platform,
          provided: options.layer.provided,
          maxBytes: options.layerMaxBytes,
          cacheDir: options.cacheDir,
        });
  return {
    sha: sha256Hex(archive),
    archive,
    bundle: bundleBytes,
    sourceMap,
    manifest,
    ...(layer === undefined ? {} : { layer }),
    buildMs: Math.round((performance.now() - started) * 10) / 10,
  };
}
