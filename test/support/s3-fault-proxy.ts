/**
 * A FAULT-INJECTING stand-in for S3 (moto never fails on demand): a tiny HTTP proxy on 127.0.0.1 in front
 * of moto that answers the requests `decide` picks with 503 SlowDown or 403 AccessDenied, delays them, or
 * cuts response bodies short, and forwards everything else.
 *
 * @module
 */
import http from 'node:http';

/** What the fault-injecting stand-in does to a request; first matching rule wins. */
export type Fault = 'slowDown' | 'deny' | 'cutBody' | 'pass';

/** A fault-injecting stand-in for S3: forwards to moto, except where `decide` says otherwise. */
export class FaultProxy {
  readonly requests: Array<{ method: string; path: string; range?: string }> = [];
  inFlight = 0;
  maxInFlight = 0;
  delayMs = 0;
  decide: (req: http.IncomingMessage, index: number) => Fault = () => 'pass';
  readonly #server: http.Server;
  readonly #target: URL;

  private constructor(target: string) {
    this.#target = new URL(target);
    this.#server = http.createServer((req, res) => void this.#handle(req, res));
  }

  static async start(target: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(target);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const { port } = this.#server.address() as { port: number };
    return `http://127.0.0.1:${port}`;
  }

  /** Requests whose path contains `part` (the key), with this method. */
  count(method: string, part: string): number {
    return this.requests.filter((r) => r.method === method && r.path.includes(part)).length;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const index = this.requests.length;
    this.requests.push({ method: req.method ?? '', path: req.url ?? '', range: req.headers.range });
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    res.once('close', () => this.inFlight--);
    const body: Buffer[] = [];
    for await (const chunk of req) body.push(chunk as Buffer);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const fault = this.decide(req, index);
    if (fault === 'slowDown' || fault === 'deny') {
      const [status, code] = fault === 'slowDown' ? [503, 'SlowDown'] : [403, 'AccessDenied'];
      const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected by the test stand-in</Message></Error>`;
      res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
      res.end(req.method === 'HEAD' ? undefined : xml);
      return;
    }
    const upstream = http.request(
      {
        host: this.#target.hostname,
        port: this.#target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.#target.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (fault !== 'cutBody') {
          up.pipe(res);
          return;
        }
        // Send the first half of the body, then drop the connection.
        const half = Math.floor(Number(up.headers['content-length'] ?? 0) / 2);
        let sent = 0;
        up.on('data', (chunk: Buffer) => {
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
    upstream.end(Buffer.concat(body));
  }
}
