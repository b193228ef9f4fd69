/**
 * Where the client reads from (the datastore) and what it shows (the namespace): process-wide
 * settings, captured by each `Flow` when it is created and inherited by its runs, steps and tasks.
 *
 * @module
 */

import { currentUser, datastoreSpecForRoot, loadConfig, resolveDatastoreSpec } from '../config/index.js';
import type { StorageBackend, StorageSpec } from '../datastore/index.js';
import { FlowDatastore, openStorage } from '../datastore/index.js';

/**
 * Per-object settings that override the process-wide ones (see {@link setDatastore} and
 * {@link namespace}).
 *
 * @example
 * ```ts
 * const flow = new Flow('TrainFlow', { datastore: { kind: 'local', root: '/data/.stepflow' }, namespace: null });
 * ```
 */
export interface ClientOptions {
  /**
   * A datastore root (a folder, or `s3://bucket/prefix` for the S3 datastore), a backend spec
   * (`{ kind: 'local', root }`) or an opened backend.
   */
  readonly datastore?: StorageSpec | StorageBackend | string;
  /** A namespace tag (`user:alice`, `team:ml`), or `null` for every run. */
  readonly namespace?: string | null;
}

let datastoreSetting: StorageSpec | StorageBackend | undefined;
let namespaceSetting: { readonly value: string | null } | undefined;
const opened = new Map<string, Promise<StorageBackend>>();

/**
 * Chooses the datastore the client reads (`undefined` goes back to the default). Without a call, the
 * client reads the configured datastore, as `stepflow run` does: `METAFLOW_DEFAULT_DATASTORE` and its
 * sysroot (`METAFLOW_DATASTORE_SYSROOT_LOCAL` / `_S3`, from the environment or the profile file), else
 * `./.stepflow` in the working directory.
 *
 * @example
 * ```ts
 * setDatastore({ kind: 'local', root: '/mnt/shared/.stepflow' });
 * setDatastore('s3://my-bucket/runs'); // a root alone: an s3:// URL is the S3 datastore, else a folder
 * const run = await new Flow('TrainFlow').latestRun();
 * ```
 */
export function setDatastore(datastore: StorageSpec | StorageBackend | string | undefined): void {
  datastoreSetting = typeof datastore === 'string' ? datastoreSpecForRoot(datastore) : datastore;
}

/**
 * The datastore the client reads now, as a spec.
 *
 * @example
 * ```ts
 * getDatastore(); // { kind: 'local', root: '/home/me/project/.stepflow' }
 * ```
 */
export function getDatastore(): StorageSpec {
  const ds = datastoreSetting;
  if (ds) return { kind: ds.kind, root: ds.root };
  return resolveDatastoreSpec(loadConfig(), {});
}

/**
 * Sets the namespace: listings show only runs tagged with it, and reading a run outside it throws a
 * `NamespaceMismatchError`. `null` shows every run. Returns the namespace set.
 *
 * @example
 * ```ts
 * namespace('user:alice'); // alice's runs
 * namespace(null);         // everybody's
 * ```
 */
export function namespace(ns: string | null): string | null {
  if (ns !== null && (typeof ns !== 'string' || ns === '')) {
    throw new TypeError('namespace() takes a tag such as "user:alice", or null for every namespace.');
  }
  namespaceSetting = { value: ns };
  return ns;
}

/**
 * The namespace in effect: the one set with {@link namespace}, else the default `user:<name>`.
 *
 * @example
 * ```ts
 * getNamespace(); // 'user:alice'
 * ```
 */
export function getNamespace(): string | null {
  return namespaceSetting ? namespaceSetting.value : `user:${currentUser()}`;
}

/**
 * Goes back to the default namespace, `user:<name>` (`METAFLOW_USER`, else the OS user), and returns it.
 *
 * @example
 * ```ts
 * defaultNamespace(); // 'user:alice'
 * ```
 */
export function defaultNamespace(): string {
  namespaceSetting = undefined;
  return `user:${currentUser()}`;
}

/**
 * The settings an object was created with: its backend and namespace. Internal to the client.
 *
 * @example
 * ```ts
 * const scope = scopeOf({ namespace: null });
 * const fds = await scope.flowDatastore('TrainFlow');
 * ```
 */
export class Scope {
  readonly spec: StorageSpec;
  readonly namespace: string | null;
  private readonly backend: StorageBackend | undefined;
  private readonly datastores = new Map<string, FlowDatastore>();

  constructor(datastore: StorageSpec | StorageBackend, ns: string | null) {
    this.spec = { kind: datastore.kind, root: datastore.root };
    this.backend = isBackend(datastore) ? datastore : undefined;
    this.namespace = ns;
  }

  /** The opened backend (opened once per kind and root in the process). */
  async storage(): Promise<StorageBackend> {
    if (this.backend) return this.backend;
    const key = `${this.spec.kind}\u0000${this.spec.root}`;
    let found = opened.get(key);
    if (!found) {
      found = openStorage(this.spec);
      opened.set(key, found);
      found.catch(() => opened.delete(key));
    }
    return await found;
  }

  /** The datastore of one flow. */
  async flowDatastore(flow: string): Promise<FlowDatastore> {
    let fds = this.datastores.get(flow);
    if (!fds) {
      fds = new FlowDatastore(await this.storage(), flow);
      this.datastores.set(flow, fds);
    }
    return fds;
  }

  /** True when a run with these tags is visible in this scope's namespace. */
  sees(tags: readonly string[]): boolean {
    return this.namespace === null || tags.includes(this.namespace);
  }
}

/**
 * The scope of a new object: the options given, else the process-wide settings.
 *
 * @example
 * ```ts
 * scopeOf({ namespace: null }).namespace; // null
 * ```
 */
export function scopeOf(options: ClientOptions = {}): Scope {
  const given = options.datastore;
  const ds =
    (typeof given === 'string' ? datastoreSpecForRoot(given) : given) ?? datastoreSetting ?? getDatastore();
  return new Scope(ds, options.namespace !== undefined ? options.namespace : getNamespace());
}

function isBackend(ds: StorageSpec | StorageBackend): ds is StorageBackend {
  return (
    typeof (ds as StorageBackend).get === 'function' && typeof (ds as StorageBackend).list === 'function'
  );
}
