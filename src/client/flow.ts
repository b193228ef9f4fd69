/**
 * `Flow`: the runs of one flow in the datastore, filtered by namespace.
 *
 * @module
 */

import { errorMessage } from '../common/index.js';
import { checkSegment, InvalidKeyError } from '../datastore/index.js';
import { type ClientOptions, type Scope, scopeOf } from './config.js';
import { ClientError, NamespaceMismatchError, NotFoundError } from './errors.js';
import { mapLimit, READ_CONCURRENCY } from './pool.js';
import { Run } from './run.js';

/**
 * A flow in the datastore. Making one reads nothing; its methods read the run records. The datastore
 * and namespace are those in effect when the object is made (or given in `options`), and the runs,
 * steps and tasks reached from it keep them.
 *
 * Runs are ordered newest first by run id (stepflow's run ids are start times in microseconds).
 *
 * @example
 * ```ts
 * const flow = new Flow('TrainFlow');
 * const latest = await flow.latestSuccessfulRun();
 * for await (const run of flow) console.log(run.id, run.status); // newest first, this namespace
 * const all = await flow.runs('nightly'); // runs tagged `nightly`, as an array
 * ```
 */
export class Flow {
  /** Discriminates the objects {@link getByPathspec} returns. */
  readonly kind = 'flow' as const;
  readonly name: string;
  /** The flow's name. */
  readonly pathspec: string;
  private readonly scope: Scope;

  constructor(name: string, options?: ClientOptions) {
    try {
      checkSegment('flow name', name);
    } catch (err) {
      throw new ClientError(`Invalid flow name "${name}": ${errorMessage(err)}`, { cause: err });
    }
    this.name = name;
    this.pathspec = name;
    this.scope = scopeOf(options);
  }

  /**
   * The flows that have at least one run in the namespace (every flow for `namespace(null)`), by name.
   *
   * @example
   * ```ts
   * const names = (await Flow.list()).map((f) => f.name);
   * ```
   */
  static async list(options?: ClientOptions): Promise<Flow[]> {
    const scope = scopeOf(options);
    const storage = await scope.storage();
    const names = (await storage.list(''))
      .filter((e) => e.isPrefix)
      .map((e) => e.key.slice(0, -1))
      .filter((name) => isSegment(name))
      .sort();
    const flows = names.map((name) => new Flow(name, { datastore: storage, namespace: scope.namespace }));
    if (scope.namespace === null) return flows;
    const visible = await mapLimit(flows, 4, async (flow) => (await flow.latestRun()) !== undefined);
    return flows.filter((_, i) => visible[i]);
  }

  /** The namespace this object filters by (`null`: none). */
  get namespace(): string | null {
    return this.scope.namespace;
  }

  /** The datastore root it reads. */
  get root(): string {
    return this.scope.spec.root;
  }

  /** Ids of every run of the flow (in any namespace), newest first; folders that are not runs are left out. */
  async runIds(): Promise<string[]> {
    const fds = await this.scope.flowDatastore(this.name);
    const ids = await fds.listRunIds();
    if (ids.length === 0) await this.assertExists();
    return ids;
  }

  /**
   * The runs in the namespace, newest first, optionally only those carrying every one of `tags`.
   * Reads every run record (bounded parallel reads); to stop early, iterate with `for await`.
   */
  async runs(...tags: string[]): Promise<Run[]> {
    const fds = await this.scope.flowDatastore(this.name);
    const runs = await mapLimit(await this.runIds(), READ_CONCURRENCY, (id) => Run.load(fds, id));
    return runs.filter((r): r is Run => r !== undefined && this.visible(r, tags));
  }

  /** Iterates the runs in the namespace, newest first, reading records a batch at a time. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Run, void, undefined> {
    const fds = await this.scope.flowDatastore(this.name);
    const ids = await this.runIds();
    for (let i = 0; i < ids.length; i += READ_CONCURRENCY) {
      const batch = await mapLimit(ids.slice(i, i + READ_CONCURRENCY), READ_CONCURRENCY, (id) =>
        Run.load(fds, id),
      );
      for (const run of batch) if (run && this.visible(run, [])) yield run;
    }
  }

  /** The newest run in the namespace, or `undefined`. */
  async latestRun(): Promise<Run | undefined> {
    for await (const run of this) return run;
    return undefined;
  }

  /** The newest successful run in the namespace, or `undefined`. */
  async latestSuccessfulRun(): Promise<Run | undefined> {
    for await (const run of this) if (run.successful) return run;
    return undefined;
  }

  /**
   * One run by id. Throws a `NotFoundError` (listing the newest run ids) when it does not exist, and
   * a `NamespaceMismatchError` when it is outside the namespace.
   */
  async run(id: string): Promise<Run> {
    const fds = await this.scope.flowDatastore(this.name);
    const run = isSegment(id) && id !== 'data' ? await Run.load(fds, id) : undefined;
    if (!run) {
      throw new NotFoundError({
        kind: 'run',
        pathspec: `${this.name}/${id}`,
        nearby: await this.runIds(),
        root: this.root,
      });
    }
    if (!this.scope.sees(run.tags)) {
      throw new NamespaceMismatchError({
        pathspec: run.pathspec,
        namespace: this.scope.namespace ?? '',
        tags: run.tags,
      });
    }
    return run;
  }

  private visible(run: Run, tags: readonly string[]): boolean {
    return this.scope.sees(run.tags) && tags.every((t) => run.tags.includes(t));
  }

  private async assertExists(): Promise<void> {
    const storage = await this.scope.storage();
    const flows = (await storage.list('')).filter((e) => e.isPrefix).map((e) => e.key.slice(0, -1));
    if (flows.includes(this.name)) return;
    throw new NotFoundError({ kind: 'flow', pathspec: this.name, nearby: flows.sort(), root: this.root });
  }
}

function isSegment(name: string): boolean {
  try {
    checkSegment('name', name);
    return true;
  } catch (err) {
    if (err instanceof InvalidKeyError) return false;
    throw err;
  }
}
