/**
 * A FAULT-INJECTING stand-in for S3 (moto never fails on demand), the one used by the tests and the
 * benchmarks: a tiny HTTP proxy on 127.0.0.1 in front of moto that forwards every request, except where
 * its `decide` hook picks a fault for it:
 *
 * - `slowDown` / `deny`: answered `503 SlowDown` / `403 AccessDenied` without reaching moto;
 * - `cutBody`: forwarded, then the answer's body is sent half-way and the connection dropped (an answer
 *   with no body to cut, a HEAD or a write's empty answer, is dropped whole, as `drop`);
 * - `drop`: forwarded, so the request has its effect on S3, then the connection is dropped without an
 *   answer (the client cannot know that the write happened);
 * - `pass`: forwarded.
 *
 * {@link seededFaults} is the benchmarks' policy built on that hook: seeded random fractions of writes
 * answered `503 SlowDown` and of connections cut. Every request is logged (`requests`), counted by
 * fault (`counts`), and the requests in flight are tracked (`inFlight`, `maxInFlight`). Types:
 * `s3-fault-proxy.d.mts`. The benchmarks and tests that use this say that they do.
 *
 * @module
 */
import http from 'node:http';

/**
 * A small seeded PRNG (mulberry32): the same seed gives the same fault sequence.
 *
 * @param {number} seed
 * @returns {() => number}
 * @example
 * const rand = seeded(7); rand(); // 0 <= x < 1
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
 * A `decide` hook answering a seeded random fraction of writes `503 SlowDown` (`writeFraction`) and
 * cutting a fraction of the other requests mid-body (`cutFraction`; see `cutBody`), among the requests
 * `match(method, path)` accepts (default: every request).
 *
 * @param {import('./s3-fault-proxy.d.mts').SeededFaults} [faults]
 * @returns {import('./s3-fault-proxy.d.mts').Decide}
 * @example
 * proxy.decide = seededFaults({ writeFraction: 0.1, cutFraction: 0.02, seed: 1 });
 */
export function seededFaults({ writeFraction = 0, cutFraction = 0, seed = 1, match = () => true } = {}) {
  const rand = seeded(seed);
  return (req) => {
    const method = req.method ?? 'GET';
    if (!match(method, req.url ?? '/')) return 'pass';
    if (isWrite(method) && rand() < writeFraction) return 'slowDown';
    return rand() < cutFraction ? 'cutBody' : 'pass';
  };
}

/**
 * Starts the proxy on a free loopback port, forwarding to `target` (the moto server's URL). `decide`
 * (default: pass everything) can be replaced at any time; `faults` is a shorthand for
 * `decide: seededFaults(faults)`.
 *
 * @param {import('./s3-fault-proxy.d.mts').S3FaultProxyOptions} options
 * @returns {Promise<import('./s3-fault-proxy.d.mts').S3FaultProxy>}
 * @example
 * const proxy = await startS3FaultProxy({ target: moto.url });
 * proxy.decide = (req) => (req.method === 'PUT' ? 'slowDown' : 'pass');
 * // METAFLOW_S3_ENDPOINT_URL=proxy.url ...
 * await proxy.close();
 */
export async function startS3FaultProxy({ target, decide, faults }) {
  const proxy = new FaultProxy(new URL(target));
  if (decide) proxy.decide = decide;
  else if (faults) proxy.setFaults(faults);
  await proxy.listen();
  return proxy;
}

const ERRORS = { slowDown: [503, 'SlowDown'], deny: [403, 'AccessDenied'] };

class FaultProxy {
  /** @type {Array<{ method: string, path: string, range?: string }>} */
  requests = [];
  counts = { requests: 0, writes: 0, slowDown: 0, deny: 0, cut: 0 };
  inFlight = 0;
  maxInFlight = 0;
  delayMs = 0;
  /** @type {import('./s3-fault-proxy.d.mts').Decide} */
  decide = () => 'pass';
  url = '';
  #target;
  #server;

  constructor(target) {
    this.#target = target;
    this.#server = http.createServer((req, res) => void this.#handle(req, res));
  }

  async listen() {
    await new Promise((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.#server.address().port}`;
  }

  count(method, part) {
    return this.requests.filter((r) => r.method === method && r.path.includes(part)).length;
  }

  setFaults(faults) {
    this.decide = seededFaults(faults ?? {});
  }

  close() {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req, res) {
    const index = this.requests.length;
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: req.url ?? '', range: req.headers.range });
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    res.once('close', () => this.inFlight--);
    const chunks = [];
    try {
      for await (const chunk of req) chunks.push(chunk);
    } catch {
      res.destroy();
      return;
    }
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    this.counts.requests++;
    if (isWrite(method)) this.counts.writes++;
    const fault = this.decide(req, index);
    if (fault === 'slowDown' || fault === 'deny') {
      this.counts[fault]++;
      const [status, code] = ERRORS[fault];
      const xml =
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code>` +
        '<Message>injected by the fault-injecting S3 stand-in</Message></Error>';
      res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
      res.end(method === 'HEAD' ? undefined : xml);
      return;
    }
    const cut = fault === 'cutBody' || fault === 'drop';
    if (cut) {
      this.counts.cut++;
      if (process.env.S3_FAULT_PROXY_DEBUG) console.error(`${fault} ${method} ${req.url}`);
    }
    const upstream = http.request(
      {
        host: this.#target.hostname,
        port: this.#target.port,
        method,
        path: req.url,
        headers: { ...req.headers, host: this.#target.host },
      },
      (up) => {
        if (!cut) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          return;
        }
        const total = method === 'HEAD' ? 0 : Number(up.headers['content-length'] ?? 0);
        if (fault === 'drop' || total < 2) {
          // The request reached S3; its answer never comes.
          up.resume();
          up.on('end', () => res.socket?.destroy());
          return;
        }
        // Send the first half of the body, then drop the connection.
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
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(Buffer.concat(chunks));
  }
}
