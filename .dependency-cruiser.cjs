/**
 * Folder boundaries of src/ ("the house"), checked by dependency-cruiser on every `npm test` (the `deps`
 * step of scripts/test.mjs, via scripts/check-deps.mjs; by hand: `npm run deps:check`, or
 * `npx depcruise src --output-type err-long` for the raw report).
 *
 * The layer table below is the one in ARCHITECTURE.md ("Layers"); change both together. A folder may import
 * itself, `common/` (the shared error root) and the folders in its `may` list, nothing else. Only shipped
 * code is checked: tests (`*.test.ts`) may reach into any layer to build their fixtures.
 *
 * Imports the code makes today against the table are KNOWN_EXCEPTIONS, each listed by exact path with why
 * it exists and what removes it, so the check passes today and fails on any new violation. A listed
 * exception that no longer occurs is reported by scripts/check-deps.mjs: delete it from the list.
 *
 * Type-only imports count: a layer that names another layer's types is coupled to its contract.
 *
 * The rules, in order: `layer-<folder>` (the table, with the known exceptions), `layer-unknown-folder`,
 * `no-root-barrel-inside`, `folder-cycle`, `no-test-code-in-src`, `no-dev-dependency-in-src`,
 * `no-undeclared-package`, `no-unresolvable`, @batch's inner direction (`batch-*`), and `deep-import`. Each rule's `comment` says what it guards and what to do; it is printed with every violation.
 * Not checked: cycles between files of one folder (datastore/serializers.ts has two, with its serializers).
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */

/** Every layer folder, what it owns (for the error messages) and which other folders it may import. */
const LAYERS = {
  cli: { owns: 'argument parsing, output formatting, the commands', may: 'everything' },
  runtime: {
    owns: 'scheduling tasks, retries, resume, the run lifecycle',
    may: ['graph', 'decorators', 'datastore', 'package'],
  },
  task: { owns: 'one attempt of one step inside a process', may: ['flow', 'datastore'] },
  plugins: {
    owns: 'one decorator per subfolder: options, hooks, its commands and static checks',
    may: ['decorators', 'datastore', 'package', 'aws', 'config'],
  },
  decorators: { owns: 'the hook contract every step decorator implements, and the registry', may: ['flow'] },
  graph: { owns: 'the static graph read from source, and its validation', may: [] },
  flow: { owns: 'FlowSpec, step, parameter, current, Inputs', may: [] },
  datastore: { owns: 'artifacts, task records, logs; storage backends', may: [] },
  package: { owns: 'the code package and its dependency layer', may: [] },
  client: { owns: 'the read API over the datastore', may: ['datastore'] },
  ui: {
    owns: '`stepflow ui`: the read-only web server, its JSON API and the page',
    may: ['client', 'datastore', 'graph', 'config'],
  },
  config: { owns: 'resolving METAFLOW_* settings', may: [] },
  aws: { owns: 'shared AWS plumbing: SDK loading, region, error reading, retries', may: ['config'] },
  datatools: { owns: 'the S3 data tool steps use', may: ['aws', 'config', 'flow'] },
  common: { owns: 'what every layer shares: the error root, bounded concurrency', may: [] },
};
/** Folders every layer may use besides its own `may` list. */
const EVERYONE_MAY = ['common'];

/** One known exception: `from` imports `to` (exact paths), `why`, and what removes it. */
function x(from, to, why, remove) {
  return { from, to, why, remove };
}

/**
 * Imports that break the layer table today. Each: the importing file, the imported file (exact paths), why
 * the import exists, and what removes it. Adding an entry needs a reviewer's yes; removing one is always
 * welcome.
 */
const KNOWN_EXCEPTIONS = [
  // --- runtime/ (may use graph, decorators, datastore, package)
  x('src/runtime/load-flow.ts', 'src/flow/index.ts',
    'checks that the bundle default-exports a FlowSpec subclass (isFlowClass)',
    'code: decorators/ (or graph/) exposes the flow-class check'),
  x('src/runtime/parameters.ts', 'src/flow/index.ts',
    'types of the parameter definitions it parses from the command line (type-only)',
    'same as load-flow.ts -> flow/metadata.ts'),
  x('src/runtime/local-launcher.ts', 'src/task/index.ts',
    'taskCommand(): the argv of the task entry point it spawns',
    'code: the task command line moves beside the TaskSpec type in decorators/contract.ts'),
  x('src/runtime/start-run.ts', 'src/config/index.ts',
    'currentUser(): the user recorded in the run',
    'code: the CLI resolves the user and passes it in (prepareRun options)'),
  // --- task/ (may use flow, datastore)
  x('src/task/run-task.ts', 'src/decorators/index.ts',
    'the task binds the step decorators it runs once (StepHooks) and calls their task hooks through it',
    'table: task/ may use decorators (the hook contract), as the runtime does'),
  x('src/task/run-step.ts', 'src/decorators/index.ts',
    'StepHooks: the task hooks around the step body (type-only)',
    'table: task/ may use decorators'),
  x('src/task/prepare-task.ts', 'src/decorators/index.ts',
    'TaskHookContext, the context it builds for the task hooks (type-only)',
    'table: task/ may use decorators'),
  x('src/task/spec.ts', 'src/decorators/index.ts',
    'TaskSpec, the launcher contract it parses (type-only)',
    'table: task/ may use decorators'),
  x('src/task/prepare-task.ts', 'src/graph/index.ts',
    'FlowGraph, GraphStep: the stored graph the task reads its step from (type-only)',
    'code: the stored graph type moves to datastore/types.ts (it is a stored record)'),
  x('src/task/run-step.ts', 'src/graph/index.ts',
    'FlowGraph: the step\'s transitions (type-only)',
    'code: the stored graph type moves to datastore/types.ts'),
  x('src/task/entry.ts', 'src/plugins/task-hooks.ts',
    'the task entry point registers the built-in plugins\' in-task hooks (@catchError)',
    'code: the bundle entry registers them (the task gets them through decorators/registry); ends the task <-> plugins cycle'),
  // --- plugins/ (may use decorators, datastore, package, aws, config)
  x('src/plugins/catch-error/options.ts', 'src/flow/index.ts',
    'RESERVED_NAMES: refuses a `var` that is a FlowSpec member',
    'code: decorators/ re-exports RESERVED_NAMES, or table: plugins may use flow'),
  // --- decorators/ (may use flow): the hook contract names the things hooks receive
  x('src/decorators/contract.ts', 'src/graph/index.ts',
    'FlowGraph in the hook contexts (type-only)',
    'table: decorators/ may use graph (the contract hands plugins the graph)'),
  x('src/decorators/contract.ts', 'src/datastore/index.ts',
    'StorageBackend in the hook contexts (type-only)',
    'table: decorators/ may use datastore'),
  x('src/decorators/contract.ts', 'src/package/index.ts',
    'CodePackage in the launcher context (type-only)',
    'table: decorators/ may use package'),
  x('src/decorators/resolve.ts', 'src/graph/index.ts',
    'FlowGraph: decorators are resolved per graph step (type-only)',
    'table: decorators/ may use graph'),
  x('src/decorators/static-check.ts', 'src/graph/index.ts',
    'FlowGraph, GraphProblem: the plugins\' static checks report graph problems (type-only)',
    'table: decorators/ may use graph'),
  x('src/decorators/static-check.ts', 'src/graph/details.ts',
    'detailsOf(): where in the source a problem is',
    'table: decorators/ may use graph'),
  // --- datastore/ (may use nothing)
  x('src/datastore/s3/errors.ts', 'src/aws/index.ts',
    'awsErrorCode, awsHttpStatus: reading S3 errors',
    'table: datastore/ may use aws (the S3 backend is AWS plumbing\'s first user)'),
  x('src/datastore/s3/s3-options.ts', 'src/aws/index.ts',
    'awsRegion(): the region of the S3 client',
    'table: datastore/ may use aws'),
  x('src/datastore/s3/sdk.ts', 'src/aws/index.ts',
    'SDK loading, quiet SDK env, transient retries',
    'table: datastore/ may use aws'),
  // --- package/ (may use nothing)
  x('src/package/store.ts', 'src/datastore/index.ts',
    'StorageBackend: where the code package is stored (type-only)',
    'code: the caller passes a put/get pair, or table: package/ may use datastore'),
  x('src/package/layer/build-layer.ts', 'src/config/index.ts',
    'loadConfig(): settings of the dependency layer build',
    'code: the caller passes the settings in, or table: package/ may use config'),
  // --- client/ (may use datastore)
  x('src/client/config.ts', 'src/config/index.ts',
    'resolves which datastore to read from METAFLOW_* settings',
    'table: client/ may use config (it is the entry of a standalone reader)'),
  x('src/client/run.ts', 'src/graph/index.ts',
    'FlowGraph: Run.graph (type-only)',
    'code: the stored graph type moves to datastore/types.ts'),
  // --- datatools/ (may use aws, config, flow)
  x('src/datatools/s3/sdk.ts', 'src/datastore/index.ts',
    'shares the S3 SDK loader of the S3 datastore',
    'code: the S3 SDK loader moves to aws/'),
];

/**
 * Folder cycles that exist today (folder-cycle rule), as pairs of folders; each goes away with the
 * exceptions named in `remove`.
 */
const KNOWN_FOLDER_CYCLES = [];

const TESTS = '\\.test\\.ts$';
const esc = (p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const folderRe = (names) => `^src/(${names.join('|')})/`;

/**
 * The forbidden rules of one layer: `layer-<name>` for every file of the folder except those with known
 * exceptions, and `layer-<name> (<file>)` for each of those, allowing exactly its listed targets besides the
 * table (dependency-cruiser has no per-import exemption, so an exception is a rule of its own file).
 */
function layerRules(name, layer) {
  if (layer.may === 'everything') return [];
  const allowed = folderRe([name, ...EVERYONE_MAY, ...layer.may]);
  const mine = KNOWN_EXCEPTIONS.filter((e) => e.from.startsWith(`src/${name}/`));
  const files = [...new Set(mine.map((e) => e.from))];
  const comment =
    `${name}/ (${layer.owns}) may use ${[...layer.may, ...EVERYONE_MAY].join(', ')}; ` +
    'see ARCHITECTURE.md "Layers" (a new need: change the table there and in .dependency-cruiser.cjs)';
  const rule = (suffix, fromPath, fromPathNot, extraTargets) => ({
    name: `layer-${name}${suffix}`,
    comment,
    severity: 'error',
    from: { path: fromPath, ...(fromPathNot.length ? { pathNot: fromPathNot } : {}) },
    to: { path: '^src/', pathNot: [allowed, ...extraTargets] },
  });
  return [
    rule(
      '',
      `^src/${name}/`,
      files.map((f) => `^${esc(f)}$`),
      [],
    ),
    ...files.map((file) =>
      rule(
        ` (${file})`,
        `^${esc(file)}$`,
        [],
        mine.filter((e) => e.from === file).map((e) => `^${esc(e.to)}$`),
      ),
    ),
  ];
}

/**
 * No two folders import each other, at any depth (src/task <-> src/plugins, src/a/b <-> src/c): the
 * folder-scope check of dependency-cruiser. A known cycle is exempt only between its two folders.
 */
function folderCycleRules() {
  const comment =
    'two folders that import each other are one layer in disguise: move the shared piece down a layer ' +
    '(common/, decorators/) or invert the call through a hook';
  const known = KNOWN_FOLDER_CYCLES.flatMap(({ folders: [a, b] }) => [
    [a, b],
    [b, a],
  ]);
  return [
    {
      name: 'folder-cycle',
      comment,
      severity: 'error',
      scope: 'folder',
      from: {
        path: '^src/',
        ...(known.length ? { pathNot: known.map(([a]) => `^${esc(a)}$`) } : {}),
      },
      to: { circular: true },
    },
    ...known.map(([from, partner]) => ({
      name: `folder-cycle (${from})`,
      comment: `${comment}; the known cycle ${from} <-> ${partner} is listed in KNOWN_FOLDER_CYCLES`,
      severity: 'error',
      scope: 'folder',
      from: { path: `^${esc(from)}$` },
      to: { circular: true, pathNot: `^${esc(partner)}$` },
    })),
  ];
}

const LAYER_NAMES = Object.keys(LAYERS);

module.exports = {
  forbidden: [
    ...Object.entries(LAYERS).flatMap(([name, layer]) => layerRules(name, layer)),
    {
      name: 'layer-unknown-folder',
      comment:
        'every folder under src/ is a layer in the table: add a new folder to LAYERS in .dependency-cruiser.cjs ' +
        'and to the table in ARCHITECTURE.md, with what it owns and what it may use',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: folderRe(LAYER_NAMES) },
      to: { path: '^src/' },
    },
    {
      name: 'no-root-barrel-inside',
      comment:
        "src/index.ts is the package's public surface and imports every layer: a layer importing it makes a cycle; " +
        'import the folder that owns the thing instead',
      severity: 'error',
      from: { path: '^src/[^/]+/' },
      to: { path: '^src/index\\.ts$' },
    },
    ...folderCycleRules(),
    {
      name: 'no-test-code-in-src',
      comment:
        'shipped code (src/, minus *.test.ts) never imports test/, bench/, scripts/ or examples/: ' +
        'they are not in the package; test doubles are injected from tests, not imported by src',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts|examples|tools)/' },
    },
    {
      name: 'no-dev-dependency-in-src',
      comment:
        'shipped code may not import a devDependency (users do not install them); a type-only import is ' +
        'fine (erased). Move the package to dependencies, or keep the code in test/ or scripts/',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only', 'type-import', 'pre-compilation-only'] },
    },
    {
      name: 'no-undeclared-package',
      comment:
        'shipped code imports only packages listed in package.json (a transitive dependency can vanish ' +
        'on the next install)',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-unresolvable',
      comment: 'an import that resolves to no file: fix the path (remember the .js extension)',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    // @batch's own parts (src/plugins/batch/ARCHITECTURE.md, "Imports go one way").
    {
      name: 'batch-spec-pure',
      comment:
        "@batch's spec/ is pure (options -> requests, no AWS call, no clock, no storage): it may not import " +
        "jobs/, logs/, package/, cli/, bootstrap/, the Batch client (aws.ts) or src/aws/; only the plugin's " +
        'errors.ts and settings.ts and other layers\' contracts',
      severity: 'error',
      from: { path: '^src/plugins/batch/spec/' },
      to: {
        path: [
          '^src/plugins/batch/(jobs|logs|package|cli|bootstrap)/',
          '^src/plugins/batch/aws\\.ts$',
          '^src/aws/',
          '^src/datastore/',
        ],
      },
    },
    {
      name: 'batch-logs-package-not-jobs',
      comment: "@batch's logs/ and package/ never import jobs/ (jobs/ uses them)",
      severity: 'error',
      from: { path: '^src/plugins/batch/(logs|package)/' },
      to: { path: '^src/plugins/batch/jobs/' },
    },
    {
      name: 'batch-bootstrap-standalone',
      comment:
        "@batch's bootstrap/ runs in the container as a generated script: it imports nothing of the plugins " +
        '(the launcher takes its constants and script from it, never the other way)',
      severity: 'error',
      from: { path: '^src/plugins/batch/bootstrap/' },
      to: { path: '^src/plugins/', pathNot: '^src/plugins/batch/bootstrap/' },
    },
    // Other folders are imported through their index.ts. Exempt: value imports into package/ and graph/, whose
    // modules import the toolchain (esbuild, @vercel/nft, typescript): their barrel would put those imports in
    // every flow bundle (a bundled module's imports are all resolved, even where unused), so callers import the
    // one module they need.
    {
      name: 'deep-import',
      comment:
        "another folder's internals are imported directly: import its index.ts (the folder's public surface) " +
        'instead, and export what you need there (package/ and graph/ are exempt: their barrels carry the toolchain)',
      severity: 'error',
      // @batch's bootstrap/ is bundled into a small inline script: it imports the few pure modules it needs
      // directly (a barrel would bring a whole folder into every job's command).
      from: { path: '^src/(plugins/[^/]+|[^/]+)/', pathNot: '^src/plugins/batch/bootstrap/' },
      to: {
        path: '^src/[^/]+/',
        pathNot: [
          '^src/$1/',
          // a folder's public surface
          '^src/(plugins/[^/]+|[^/]+)/index\\.ts$',
          // a plugin may use the helpers its parent folder keeps for all plugins (parse-options.ts, ...)
          '^src/plugins/[^/]+\\.ts$',
          // the toolchain folders (see above), and common/: leaf modules the container bootstrap bundles one by one
          '^src/(package|graph|common)/',
        ],
      },
    },
  ],
  options: {
    // Shipped code only; tests may reach anywhere to build fixtures.
    exclude: { path: [TESTS] },
    doNotFollow: { path: ['node_modules'] },
    // See `import type` too: type-only imports count for the layers, and are exempt from the devDependency rule.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // `import x from './y.js'` resolves to y.ts (NodeNext style)
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.mjs', '.js', '.cjs', '.d.ts', '.json'],
    },
    skipAnalysisNotInRules: true,
  },
};

// For scripts/check-deps.mjs (stale exceptions, the deep-import summary); not enumerable, so dependency-cruiser's
// config schema does not see them.
Object.defineProperty(module.exports, 'stepflow', {
  enumerable: false,
  value: { LAYERS, EVERYONE_MAY, KNOWN_EXCEPTIONS, KNOWN_FOLDER_CYCLES },
});
