/**
 * The local stand-in's container credentials endpoint.
 *
 * On AWS, a Batch job gets its role's credentials from the ECS agent: the container's environment names
 * an endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI`), and every AWS SDK's default provider chain reads
 * `{ AccessKeyId, SecretAccessKey, Token, Expiration }` from it. moto gives its containers nothing, so the
 * stand-in serves fixed test credentials on a loopback port, and the local job image points at it. This
 * is emulation for the stand-in only: stepflow itself never puts credentials into a job.
 *
 * @module
 */
import http from 'node:http';

/** The path the endpoint serves credentials on. */
export const CREDS_PATH = '/creds';

/** A response header that tells this endpoint from any other program on the port. */
const MARKER = 'x-stepflow-local-creds';

/** The test credentials every job gets (moto accepts any). */
export const TEST_JOB_CREDENTIALS = Object.freeze({
  AccessKeyId: 'test',
  SecretAccessKey: 'test',
  Token: 'stepflow-local-session-token',
  RoleArn: 'arn:aws:iam::123456789012:role/stepflow-local-batch',
});

/** The ECS-format credentials document, valid for an hour from now. */
export function credentialsDocument(now = Date.now()) {
  return { ...TEST_JOB_CREDENTIALS, Expiration: new Date(now + 3600_000).toISOString() };
}

function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.method !== 'GET' || url.pathname !== CREDS_PATH) {
    res.writeHead(404, { 'content-type': 'application/json', [MARKER]: '1' });
    res.end(JSON.stringify({ message: `only GET ${CREDS_PATH} is served here` }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', [MARKER]: '1' });
  res.end(JSON.stringify(credentialsDocument()));
}

/**
 * True when `url` (…/creds) is answered by a stepflow credentials endpoint.
 *
 * @example
 * ```js
 * await probeCredsServer('http://127.0.0.1:23456/creds'); // true or false
 * ```
 */
export async function probeCredsServer(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok && res.headers.get(MARKER) === '1';
  } catch {
    return false;
  }
}

/** How often a stand-in sharing another one's endpoint checks that it is still there. */
const TAKE_OVER_MS = 1000;

function listen(server, port) {
  return new Promise((resolve, reject) => {
    const onError = (err) => reject(err);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve(undefined);
    });
  });
}

function closer(server) {
  return () =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
}

/**
 * Serves the test credentials on `http://127.0.0.1:<port>/creds`, in this process. `port: 0` picks a free
 * port. When the port is taken by another stepflow stand-in's endpoint, that one is used (`shared: true`)
 * and, should its owner stop first, this process takes the port over (within a second; jobs retry), so
 * its own jobs keep their credentials; `stop()` ends only what this process serves. When another program
 * holds the port, this rejects with `code: 'EADDRINUSE'`.
 *
 * @param {{ port?: number }} [options]
 * @returns {Promise<{ url: string, port: number, shared: boolean, stop: () => Promise<void> }>}
 * @example
 * ```js
 * const creds = await startCredsServer({ port: 0 });
 * // AWS_CONTAINER_CREDENTIALS_FULL_URI=creds.url
 * await creds.stop();
 * ```
 */
export async function startCredsServer({ port = 0 } = {}) {
  const server = http.createServer(handle);
  try {
    await listen(server, port);
  } catch (err) {
    const url = `http://127.0.0.1:${port}${CREDS_PATH}`;
    if (err.code === 'EADDRINUSE' && (await probeCredsServer(url))) {
      return { url, port, shared: true, stop: shareUntilGone(server, port) };
    }
    const error = new Error(
      `the credentials endpoint cannot listen on 127.0.0.1:${port} (${err.code ?? err.message}): another program holds the port`,
      { cause: err },
    );
    error.code = err.code;
    throw error;
  }
  server.unref();
  const actual = server.address().port;
  return {
    url: `http://127.0.0.1:${actual}${CREDS_PATH}`,
    port: actual,
    shared: false,
    stop: closer(server),
  };
}

/** Watches a shared endpoint's port and listens on it once its owner is gone; returns the stop function. */
function shareUntilGone(server, port) {
  let stopped = false;
  let trying = false;
  const timer = setInterval(async () => {
    if (trying || server.listening) return;
    trying = true;
    try {
      await listen(server, port);
      server.unref();
      if (stopped) await closer(server)();
    } catch {
      // The owner (or anything else) still holds the port.
    } finally {
      trying = false;
    }
  }, TAKE_OVER_MS);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await closer(server)();
  };
}
