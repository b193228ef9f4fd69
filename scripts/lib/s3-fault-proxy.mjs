/**
 * A FAULT-INJECTING stand-in for S3: a tiny HTTP proxy on 127.0.0.1 in front of moto that answers a
 * seeded random fraction of writes with `503 SlowDown` (without forwarding them) and cuts a fraction of
 * connections mid-body (a GET's body half sent; a write forwarded to moto, then its response dropped, so
 * the client cannot know that the write happened). Everything else is passed to the real moto server.
 * moto cannot produce these failures on demand; the benchmarks and tests that use this say so.
 *
 * @module
 */
import http from 'node:http';

/**
 * A small seeded PRNG (mulberry32): the same seed gives the same fault sequence.
 *
 * @example
 * ```js
 * const rand = seeded(7); rand(); // 0 <= x < 1
 * ```
 */
export function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const isWrite = (method) => method === 'PUT' || method === 'POST';

/**
 * Starts the proxy on a free loopback port.
 *
 * `faults`: `{ writeFraction, cutFraction, seed, match }` — `match(method, path)` limits faults to some
 * requests (default: every request). `setFaults` changes them; `counts` tells what was done.
 *
 * @example
 * ```js
 * const proxy = await startS3FaultProxy({ target: moto.url, faults: { writeFraction: 0.1, cutFraction: 0.02, seed: 1 } });
 * // METAFLOW_S3_ENDPOINT_URL=proxy.url ...
 * await proxy.close();
 * ```
 */
export async function startS3FaultProxy({ target, faults = {} }) {
  const base = new URL(target);
  let rules = normalise(faults);
  const counts = { requests: 0, writes: 0, slowDown: 0, cut: 0 };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
    req.on('error', () => res.destroy());
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function handle(req, res, body) {
    counts.requests++;
    const method = req.method ?? 'GET';
    if (isWrite(method)) counts.writes++;
    const eligible = rules.match(method, req.url ?? '/');
    if (eligible && isWrite(method) && rules.rand() < rules.writeFraction) {
      counts.slowDown++;
      const xml =
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>' +
        '<Message>Please reduce your request rate (injected by the fault-injecting stand-in)</Message></Error>';
      res.writeHead(503, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
      res.end(method === 'HEAD' ? undefined : xml);
      return;
    }
    const cut = eligible && rules.rand() < rules.cutFraction;
    if (cut) {
      counts.cut++;
      if (process.env.S3_FAULT_PROXY_DEBUG) console.error(`cut ${method} ${req.url}`);
    }
    const url = new URL(req.url ?? '/', base);
    const out = http.request(url, { method, headers: { ...req.headers, host: url.host } }, (up) => {
      if (!cut) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const total = method === 'HEAD' ? 0 : Number(up.headers['content-length'] ?? 0);
      if (total < 2) {
        // Nothing to cut in half (a write's empty answer, a HEAD): the request reached S3, the answer never comes.
        up.resume();
        up.on('end', () => res.socket?.destroy());
        return;
      }
      res.writeHead(up.statusCode ?? 502, up.headers);
      const half = Math.floor(total / 2);
      let sent = 0;
      up.on('data', (chunk) => {
        if (sent >= half) return;
        const piece = chunk.subarray(0, half - sent);
        sent += piece.length;
        res.write(piece);
        if (sent >= half) {
          up.destroy();
          res.socket?.destroy();
        }
      });
    });
    out.on('error', () => res.destroy());
    out.end(body);
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    setFaults(next) {
      rules = normalise(next ?? {});
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function normalise({ writeFraction = 0, cutFraction = 0, seed = 1, match = () => true }) {
  return { writeFraction, cutFraction, rand: seeded(seed), match };
}
