/**
 * Child process of the logs benchmark: feeds `<mib>` MiB of 1 KiB lines, in 64 KiB chunks as a pipe
 * delivers them, to the container bootstrap's log saver (dist/, against the S3 endpoint in the
 * environment), pausing while it asks to, as the bootstrap does — or, with `sink`, to nothing (the
 * baseline). Prints one JSON line: RSS growth (peak sampled every 20 ms minus the RSS before feeding),
 * bytes PUT, PUT requests, seconds.
 *
 * Usage: node log-saver-feed.mjs <saver|sink> <mib> <s3://bucket/prefix/0.>
 *
 * @module
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [mode, mibArg, prefix] = process.argv.slice(2);
const mib = Number(mibArg);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { LogSaver } = await import(
  pathToFileURL(path.join(root, 'dist', 'plugins', 'batch', 'bootstrap', 'log-saver.js')).href
);

globalThis.gc?.();
const before = process.memoryUsage().rss;
let peak = before;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const started = performance.now();
const saver = mode === 'saver' ? new LogSaver(prefix, process.env) : undefined;
saver?.start();
const pad = 'x'.repeat(1024 - 10);
let line = 0;
for (let chunk = 0; chunk < mib * 16; chunk++) {
  let text = '';
  for (let i = 0; i < 64; i++) text += `${String(line++).padStart(9, '0')}${pad}\n`;
  const buf = Buffer.from(text);
  if (saver) {
    saver.add('stdout', buf);
    if (saver.full) await saver.save(true);
  }
  if (chunk % 64 === 0) await new Promise((r) => setImmediate(r)); // let the sampler and sockets run
}
const marker = await saver?.close(0);
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
process.stdout.write(
  `${JSON.stringify({
    rssGrowth: peak - before,
    bytesWritten: saver?.bytesWritten ?? 0,
    puts: saver?.puts ?? 0,
    saved: marker?.stdout ?? 0,
    segments: marker?.segments?.stdout ?? 0,
    seconds: (performance.now() - started) / 1000,
  })}\n`,
);
