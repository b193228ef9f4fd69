/**
 * Maps stack traces of code running from the bundle back to the `.ts` sources, on demand.
 *
 * Node's `--enable-source-maps` parses the map when the bundle loads, which cost ~40 ms of CPU in every
 * task process; here the map is only read when a stack is actually printed.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface LoadedMap {
  readonly map: SourceMap;
  readonly dir: string;
  /** The framework's own source folder in the bundle (found through this very module), if bundled. */
  readonly frameworkDir?: string;
}

/** The generated entry stub of a code package (package/build.ts). */
const ENTRY_SOURCE = 'stepflow-entry.js';

const maps = new Map<string, LoadedMap | null>();

function loadMap(bundlePath: string): LoadedMap | null {
  if (!maps.has(bundlePath)) {
    try {
      const payload = JSON.parse(readFileSync(`${bundlePath}.map`, 'utf8')) as SourceMapPayload;
      const dir = dirname(bundlePath);
      const self = payload.sources.find((s) => /(^|\/)task\/stack-map\.[jt]s$/.test(s));
      const frameworkDir = self === undefined ? undefined : dirname(dirname(sourcePath(dir, self)));
      maps.set(bundlePath, { map: new SourceMap(payload), dir, ...(frameworkDir ? { frameworkDir } : {}) });
    } catch {
      maps.set(bundlePath, null);
    }
  }
  return maps.get(bundlePath) ?? null;
}

function sourcePath(dir: string, source: string): string {
  if (source.startsWith('file://')) return fileURLToPath(source);
  return resolve(dir, source);
}

/**
 * Rewrites the frames of `stack` that point into `bundlePath` to the original file, line and column.
 *
 * @example
 * ```ts
 * mapStack(err.stack, process.argv[1]); // "at MyFlow.start (/home/me/flow.ts:12:11)"
 * ```
 */
export function mapStack(stack: string, bundlePath: string): string {
  const url = pathToFileURL(bundlePath).href;
  if (!stack.includes(bundlePath) && !stack.includes(url)) return stack;
  const loaded = loadMap(bundlePath);
  if (!loaded) return stack;
  const escaped = [url, bundlePath].map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const frame = new RegExp(`(${escaped}):(\\d+):(\\d+)`, 'g');
  return stack.replace(frame, (whole, _file: string, line: string, column: string) => {
    const entry = loaded.map.findEntry(Number(line) - 1, Number(column) - 1) as {
      originalSource?: string;
      originalLine?: number;
      originalColumn?: number;
    };
    if (entry.originalSource === undefined || entry.originalLine === undefined) return whole;
    const file = sourcePath(loaded.dir, entry.originalSource);
    return `${file}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
  });
}

/** True for a frame of stepflow itself: its sources, the entry stub, Node's internals. */
function isFrameworkFrame(line: string, frameworkDir: string | undefined): boolean {
  if (/\(node:internal\/|at node:internal\/|\(node:async_hooks|\(native\)/.test(line)) return true;
  if (line.includes(`/${ENTRY_SOURCE}:`) || line.includes(`(${ENTRY_SOURCE}:`)) return true;
  return (
    frameworkDir !== undefined && (line.includes(`(${frameworkDir}/`) || line.includes(`at ${frameworkDir}/`))
  );
}

/**
 * {@link mapStack}, then without stepflow's own frames (the task runner, the entry stub, Node's internals),
 * so a user's error shows the user's code. A stack with no frame of the user's keeps every frame.
 *
 * @example
 * ```ts
 * userStack(err.stack, process.argv[1]);
 * // "Error: boom\n    at MyFlow.start (/home/me/flow.ts:12:11)"
 * ```
 */
export function userStack(stack: string, bundlePath: string): string {
  const mapped = mapStack(stack, bundlePath);
  if (mapped === stack && !stack.includes(ENTRY_SOURCE)) return stack;
  const frameworkDir = loadMap(bundlePath)?.frameworkDir;
  const lines = mapped.split('\n');
  const isFrame = (l: string) => /^\s+at /.test(l);
  const kept = lines.filter((l) => !isFrame(l) || !isFrameworkFrame(l, frameworkDir));
  if (!kept.some(isFrame)) return mapped;
  // A decorated class is bundled as `class _MyFlow` (esbuild's lowering): name its methods as written.
  return kept.map((l) => l.replace(/^(\s+at (?:async )?)_([A-Z][\w$]*)\.(?=[\w$#]+ \()/, '$1$2.')).join('\n');
}
