/**
 * Preloaded (`--import`) into a process whose writes and memory a benchmark measures: at exit it writes
 * its `/proc/self/io` write counters and peak RSS (`VmHWM`) to `$STEPFLOW_BENCH_IO_DIR/<pid>.json`.
 * Linux only.
 *
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.STEPFLOW_BENCH_IO_DIR;
if (dir) {
  process.on('exit', () => {
    const io = Object.fromEntries(
      readFileSync('/proc/self/io', 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(':').map((s) => s.trim()))
        .map(([k, v]) => [k, Number(v)]),
    );
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    writeFileSync(
      join(dir, `${process.pid}.json`),
      JSON.stringify({ ...io, peakRssBytes: Number(hwm?.[1] ?? 0) * 1024 }),
    );
  });
}
