/**
 * Synchronous S3 reads for lazy artifact access (a property getter cannot await): the synckit
 * pattern. A worker thread does the asynchronous GetObject; the calling thread posts the request,
 * blocks in `Atomics.wait` on a shared word, and takes the answer with `receiveMessageOnPort`. The
 * body's ArrayBuffer is transferred, so even a large object is never copied between the threads.
 *
 * @module
 */

import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { quietSdkEnv } from './sdk.js';
import { SYNC_WORKER_SOURCE } from './sync-worker-source.js';

/** What the worker answered about a failure: the fields the error mapping looks at. */
export interface SyncReadErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly Code?: string;
  readonly nestedCode?: string;
  readonly status?: number;
  readonly attempts?: number;
}

interface OneAnswer {
  readonly body?: ArrayBuffer;
  readonly missing?: boolean;
  readonly error?: SyncReadErrorInfo;
}

interface Answer extends OneAnswer {
  readonly id: number;
  /** A batch's answers, one per key. */
  readonly results?: readonly OneAnswer[];
}

function toResult(answer: OneAnswer): { body?: Buffer; error?: SyncReadErrorInfo } {
  if (answer.error) return { error: answer.error };
  if (answer.missing || !answer.body) return {};
  return { body: Buffer.from(answer.body) };
}

/** How long one `Atomics.wait` lasts before the reader checks the deadline and the worker. */
const WAIT_SLICE_MS = 500;

/**
 * A worker thread that reads S3 objects on behalf of a blocked caller. Created on first use by
 * {@link S3Storage.getSync}; the worker is unref'd (it never keeps the process alive) and terminated
 * when the process exits or {@link SyncReader.close} is called.
 *
 * @example
 * ```ts
 * const reader = new SyncReader(sdkPath, { region: 'us-east-1' }, 60_000);
 * const bytes = reader.read('my-bucket', 'stepflow/MyFlow/data/ab/ab12…'); // Buffer | undefined
 * reader.close();
 * ```
 */
export class SyncReader {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly word: Int32Array;
  private readonly timeoutMs: number;
  private readonly onExit = (): void => {
    void this.worker.terminate();
  };
  private nextId = 0;
  private closed = false;

  /**
   * @param sdkPath the path of `@aws-sdk/client-s3`'s entry for the worker to require
   * @param config a structured-cloneable S3 client configuration
   * @param timeoutMs how long one read may block before it fails
   */
  constructor(sdkPath: string, config: S3ClientConfig, timeoutMs: number) {
    const signal = new SharedArrayBuffer(4);
    this.word = new Int32Array(signal);
    this.timeoutMs = timeoutMs;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(SYNC_WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      env: quietSdkEnv(),
      workerData: { port: port2, signal, sdkPath, config },
      transferList: [port2],
    });
    this.worker.unref();
    this.port.unref();
    // An error event (the worker crashed) is seen by `read` through `threadId`; keep it from throwing.
    this.worker.on('error', () => undefined);
    process.once('exit', this.onExit);
  }

  /**
   * Reads an object, blocking the calling thread: the body, `undefined` when the key does not exist,
   * or an error description (throws only when the worker stops or the read times out).
   */
  read(bucket: string, key: string): { body?: Buffer; error?: SyncReadErrorInfo } {
    return toResult(this.request({ bucket, key }));
  }

  /**
   * Reads several objects of a bucket, blocking the calling thread once while the worker reads them with
   * at most `concurrency` GETs in flight: one result per key, in order (as {@link SyncReader.read}'s).
   */
  readMany(
    bucket: string,
    keys: readonly string[],
    concurrency: number,
  ): { body?: Buffer; error?: SyncReadErrorInfo }[] {
    if (keys.length === 0) return [];
    const answer = this.request({ bucket, keys, concurrency });
    return (answer.results ?? []).map(toResult);
  }

  private request(message: Record<string, unknown>): Answer {
    if (this.closed) throw new Error('the synchronous S3 reader is closed');
    this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
    const id = this.nextId;
    Atomics.store(this.word, 0, 0);
    this.port.postMessage({ id, ...message });
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.word, 0);
      if (seen === id) break;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.close();
        const err = new Error(`no answer after ${Math.round(this.timeoutMs / 1000)} s`);
        err.name = 'TimeoutError';
        throw err;
      }
      if (this.worker.threadId === -1) {
        this.close();
        throw new Error('the S3 reader thread stopped unexpectedly');
      }
      Atomics.wait(this.word, 0, seen, Math.min(left, WAIT_SLICE_MS));
    }
    for (;;) {
      const received = receiveMessageOnPort(this.port);
      if (!received) {
        this.close();
        throw new Error('the S3 reader thread signalled an answer but sent none');
      }
      const answer = received.message as Answer;
      if (answer.id !== id) continue;
      return answer;
    }
  }

  /** Stops the worker thread (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    process.off('exit', this.onExit);
    this.port.close();
    void this.worker.terminate();
  }
}
