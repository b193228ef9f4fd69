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
}

const maps = new Map<string, LoadedMap | null>();

function loadMap(bundlePath: string): LoadedMap | null {
  if (!maps.has(bundlePath)) {
    try {
      const payload = JSON.parse(readFileSync(`${bundlePath}.map`, 'utf8')) as SourceMapPayload;
      maps.set(bundlePath, { map: new SourceMap(payload), dir: dirname(bundlePath) });
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
