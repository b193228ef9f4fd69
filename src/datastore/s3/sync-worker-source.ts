/**
 * The source of the worker thread behind {@link SyncReader}, as a string run with `eval: true`: a code
 * package bundle has no separate worker file to point at, and the worker must load nothing of the
 * framework. It requires the AWS SDK from the path it is given, and answers each request on its port
 * (`{ id, bucket, key }`) with `{ id, body }` (the ArrayBuffer transferred, not copied),
 * `{ id, missing: true }` or `{ id, error }`, then stores `id` in the shared signal word and notifies. A
 * batch (`{ id, bucket, keys, concurrency }`) is read with at most `concurrency` GETs in flight and
 * answered once: `{ id, results: [<one of the three answers per key>] }`.
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

async function getOne(bucket, key) {
  try {
    const { sdk, client } = getClient();
    const out = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
    return { body: await readBody(out.Body, out.ContentLength) };
  } catch (err) {
    const error = describe(err);
    if (error.name === 'NoSuchKey' || error.Code === 'NoSuchKey') return { missing: true };
    return { error };
  }
}

port.on('message', async (req) => {
  if (Array.isArray(req.keys)) {
    const results = new Array(req.keys.length);
    let next = 0;
    const run = async () => {
      while (next < req.keys.length) {
        const i = next++;
        results[i] = await getOne(req.bucket, req.keys[i]);
      }
    };
    const workers = Math.max(1, Math.min(req.concurrency || 1, req.keys.length));
    await Promise.all(Array.from({ length: workers }, run));
    reply(req.id, { id: req.id, results }, results.filter((r) => r.body).map((r) => r.body));
    return;
  }
  const answer = await getOne(req.bucket, req.key);
  reply(req.id, { id: req.id, ...answer }, answer.body ? [answer.body] : []);
});
`;
