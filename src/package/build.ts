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
import { packArchive, sha256Hex } from './archive.js';
import { type BuildMessage, PackageBuildError } from './errors.js';
import { type FrameworkRoot, frameworkRoot } from './framework-root.js';
import { frameworkPlugin, nativeAddonPlugin, TASK_ENTRY_SPECIFIER } from './plugins.js';
import type { CodePackage, PackageManifest } from './types.js';

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
    text: message.text,
  };
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
  return new PackageBuildError(flowFile, [{ text: (error as Error)?.message ?? String(error) }], {
    cause: error,
  });
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

  const externals = new Set<string>();
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
    plugins: [
      frameworkPlugin(options.frameworkRoot ?? frameworkRoot()),
      nativeAddonPlugin(externals, flowDir),
    ],
  };

  let result: Awaited<ReturnType<typeof import('esbuild').build<typeof buildOptions>>>;
  try {
    // Loaded lazily: a bundle that (indirectly) contains this module must not need esbuild to start.
    const esbuild = await import('esbuild');
    result = await esbuild.build(buildOptions);
  } catch (error) {
    throw toBuildError(file, flowDir, error);
  }

  const bundleFile = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
  const mapFile = result.outputFiles.find((f) => f.path.endsWith('.mjs.map'));
  if (bundleFile === undefined || mapFile === undefined) {
    throw new PackageBuildError(file, [{ text: 'esbuild produced no bundle or no source map' }]);
  }
  const bundle = Buffer.from(bundleFile.contents);
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
  const archive = packArchive(bundle, sourceMap, manifest);
  return {
    sha: sha256Hex(archive),
    archive,
    bundle,
    sourceMap,
    manifest,
    buildMs: Math.round((performance.now() - started) * 10) / 10,
  };
}
