/**
 * The source of the worker thread behind {@link SyncReader}, as a string run with `eval: true`: a code
 * package bundle has no separate worker file to point at, and the worker must load nothing of the
 * framework. It requires the AWS SDK from the path it is given, and answers each request on its port
 * (`{ id, bucket, key }`) with `{ id, body }` (the ArrayBuffer transferred, not copied),
 * `{ id, missing: true }` or `{ id, error }`, then stores `id` in the shared signal word and notifies.
 *
 * @module
 */

/**
 * The worker's CommonJS source. `workerData` = `{ port, signal, sdkPath, config }`.
 *
 * @example
 * ```ts
 * new Worker(SYNC_WORKER_SOURCE, { eval: true, workerData, transferList: [port] });
 * ```
 */
export const SYNC_WORKER_SOURCE = `'use strict';
const { workerData } = require('node:worker_threads');
const { port, signal, sdkPath, config } = workerData;
const word = new Int32Array(signal);
let ready;

function getClient() {
  if (!ready) {
    const sdk = require(sdkPath);
    ready = { sdk, client: new sdk.S3Client(config) };
  }
  return ready;
}

function describe(err) {
  const e = err !== null && typeof err === 'object' ? err : {};
  const str = (v) => (typeof v === 'string' ? v : undefined);
  const nested = Array.isArray(e.errors) && e.errors[0] ? str(e.errors[0].code) : undefined;
  const status = e.$metadata && typeof e.$metadata.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const attempts = e.$metadata && typeof e.$metadata.attempts === 'number' ? e.$metadata.attempts : undefined;
  return {
    name: str(e.name) || 'Error',
    message: str(e.message) || String(err),
    code: str(e.code),
    Code: str(e.Code),
    nestedCode: nested,
    status,
    attempts,
  };
}

async function readBody(body, length) {
  if (typeof length === 'number' && length >= 0) {
    const out = new Uint8Array(new ArrayBuffer(length));
    let offset = 0;
    for await (const chunk of body) {
      if (offset + chunk.byteLength > length) throw new Error('the object is longer than its Content-Length');
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    if (offset !== length) throw new Error('the object ended after ' + offset + ' of ' + length + ' bytes');
    return out.buffer;
  }
  const chunks = [];
  let total = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const out = new Uint8Array(new ArrayBuffer(total));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out.buffer;
}

function reply(id, message, transfer) {
  port.postMessage(message, transfer || []);
  Atomics.store(word, 0, id);
  Atomics.notify(word, 0);
}

port.on('message', async (req) => {
  try {
    const { sdk, client } = getClient();
    const out = await client.send(new sdk.GetObjectCommand({ Bucket: req.bucket, Key: req.key }));
    const body = await readBody(out.Body, out.ContentLength);
    reply(req.id, { id: req.id, body }, [body]);
  } catch (err) {
    const error = describe(err);
    if (error.name === 'NoSuchKey' || error.Code === 'NoSuchKey') reply(req.id, { id: req.id, missing: true });
    else reply(req.id, { id: req.id, error });
  }
});
`;
