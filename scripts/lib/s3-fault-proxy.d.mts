/**
 * Types for `scripts/lib/s3-fault-proxy.mjs`: the FAULT-INJECTING stand-in for S3 in front of moto.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';

/**
 * What the stand-in does to a request: answer `503 SlowDown` or `403 AccessDenied` without forwarding it,
 * forward it then cut the answer's body half-way (`cutBody`) or drop the answer whole (`drop`), or
 * forward it (`pass`).
 *
 * @example
 * ```ts
 * const fault: S3Fault = 'slowDown';
 * ```
 */
export type S3Fault = 'slowDown' | 'deny' | 'cutBody' | 'drop' | 'pass';

/**
 * Picks the fault of a request (its body already read); `index` is its place in `requests`.
 *
 * @example
 * ```ts
 * const decide: Decide = (req) => (req.method === 'PUT' ? 'slowDown' : 'pass');
 * ```
 */
export type Decide = (req: IncomingMessage, index: number) => S3Fault;

/**
 * Seeded random faults (see {@link seededFaults}).
 *
 * @example
 * ```ts
 * const faults: SeededFaults = { writeFraction: 0.1, cutFraction: 0.02, seed: 1 };
 * ```
 */
export interface SeededFaults {
  /** Share of writes (PUT, POST) answered `503 SlowDown`. */
  readonly writeFraction?: number;
  /** Share of the other requests whose answer is cut (`cutBody`). */
  readonly cutFraction?: number;
  readonly seed?: number;
  /** Limits the faults to some requests (default: every request). */
  readonly match?: (method: string, path: string) => boolean;
}

/**
 * Options of {@link startS3FaultProxy}.
 *
 * @example
 * ```ts
 * const options: S3FaultProxyOptions = { target: moto.url, faults: { writeFraction: 0.1 } };
 * ```
 */
export interface S3FaultProxyOptions {
  /** The moto server's URL. */
  readonly target: string;
  /** The initial `decide` hook (default: pass everything). */
  readonly decide?: Decide;
  /** Shorthand for `decide: seededFaults(faults)`. */
  readonly faults?: SeededFaults;
}

/**
 * A running stand-in.
 *
 * @example
 * ```ts
 * const proxy: S3FaultProxy = await startS3FaultProxy({ target: moto.url });
 * ```
 */
export interface S3FaultProxy {
  readonly url: string;
  /** Every request received, in order (tests may empty it). */
  readonly requests: Array<{ method: string; path: string; range?: string }>;
  /** Requests received (`requests`, `writes`) and faults injected (`cut`: `cutBody` and `drop`). */
  readonly counts: {
    requests: number;
    writes: number;
    slowDown: number;
    deny: number;
    cut: number;
  };
  /** Requests being answered now, and the most at once (tests may reset it). */
  readonly inFlight: number;
  maxInFlight: number;
  /** Delay before each request is decided and answered. */
  delayMs: number;
  decide: Decide;
  /** Requests whose path contains `part` (the key), with this method. */
  count(method: string, part: string): number;
  /** `decide = seededFaults(faults)`; `undefined`: no faults. */
  setFaults(faults: SeededFaults | undefined): void;
  close(): Promise<void>;
}

/**
 * A small seeded PRNG (mulberry32): the same seed gives the same sequence.
 *
 * @example
 * ```ts
 * const rand = seeded(7);
 * rand(); // 0 <= x < 1
 * ```
 */
export declare function seeded(seed: number): () => number;

/**
 * A `decide` hook: seeded random fractions of writes answered `503 SlowDown` and of requests cut.
 *
 * @example
 * ```ts
 * proxy.decide = seededFaults({ writeFraction: 0.1, cutFraction: 0.02, seed: 1 });
 * ```
 */
export declare function seededFaults(faults?: SeededFaults): Decide;

/**
 * Starts the stand-in on 127.0.0.1 and a free port.
 *
 * @example
 * ```ts
 * const proxy = await startS3FaultProxy({ target: moto.url });
 * proxy.decide = (req) => (req.method === 'PUT' ? 'slowDown' : 'pass');
 * await proxy.close();
 * ```
 */
export declare function startS3FaultProxy(options: S3FaultProxyOptions): Promise<S3FaultProxy>;
