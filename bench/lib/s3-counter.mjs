/**
 * A loopback HTTP proxy in front of moto's S3 that counts the requests passing through it by method and by
 * the kind of object (the key's ending: `batch.json`, `.log`, `logs.json`, `done.json`, else `other`), so a
 * benchmark can tell what the launching side asks of S3 per task. Bodies are streamed, not held.
 *
 * @module
 */
import http from 'node:http';

const KINDS = [
  ['.batch.json', 'batch.json'],
  ['.logs.json', 'logs.json'],
  ['.done.json', 'done.json'],
  ['.log', 'log segment'],
];

/**
 * The kind of an S3 request's object, from its path (query string ignored).
 *
 * @param {string} url
 * @returns {string}
 * @example
 * s3Kind('/b/runs/F/1/s/2/0.batch.json'); // 'batch.json'
 */
export function s3Kind(url) {
  const key = url.split('?')[0] ?? '';
  for (const [end, kind] of KINDS) if (key.endsWith(end)) return kind;
  return 'other';
}

/**
 * Starts the counting proxy; `counts` maps `<METHOD> <kind>` to requests seen.
 *
 * @param {string} target moto's URL
 * @returns {Promise<{ url: string, counts: Record<string, number>, close(): Promise<void> }>}
 * @example
 * const s3 = await startS3Counter(moto.url); // METAFLOW_S3_ENDPOINT_URL: s3.url
 */
export async function startS3Counter(target) {
  const counts = {};
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const name = `${req.method} ${s3Kind(req.url ?? '/')}`;
    counts[name] = (counts[name] ?? 0) + 1;
    const url = new URL(req.url ?? '/', target);
    const up = http.request(
      url,
      { method: req.method, headers: { ...req.headers, host: url.host }, agent },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
