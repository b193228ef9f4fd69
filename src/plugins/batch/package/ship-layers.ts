/**
 * Shipping the dependency layer to AWS Batch: for every distinct (platform, image-provided packages) of the
 * run's `@batch` steps, the layer is built (by the runtime's package layer, `RuntimeRunContext.buildLayer`)
 * before the first SubmitJob, checked against its sha256, and stored in the flow's content-addressed area
 * like the code package (`<flow>/data/<sha[0:2]>/<sha>`, header byte `0x00` then the tar.gz), only when
 * that key does not exist yet (a HEAD first; large layers go up as multipart). The job gets its URL, sha
 * and size in its environment ({@link LAYER_ENV}).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { StorageBackend } from '../../../datastore/index.js';
import type { LayerInfo, LayerRequest } from '../../../decorators/index.js';
import { codePackageKey } from '../../../package/store.js';
import { BatchLaunchError } from '../errors.js';
import type { JobPlatform } from '../spec/job-cpu.js';

/**
 * Environment variables of a job about its dependency layer and the packages its image provides.
 *
 * @example
 * ```ts
 * env[LAYER_ENV.url] = 's3://bucket/root/F/data/ab/abcd...';
 * ```
 */
export const LAYER_ENV = {
  /** `s3://bucket/key` of the stored layer (header byte + tar.gz of `node_modules/...`). */
  url: 'STEPFLOW_LAYER_URL',
  /** sha256 (hex) of the layer's tar.gz. */
  sha: 'STEPFLOW_LAYER_SHA',
  /** Size in bytes of the tar.gz (the object is one byte longer). */
  size: 'STEPFLOW_LAYER_SIZE',
  /** Comma-separated npm packages the image provides (linked into `node_modules` from the image). */
  imagePackages: 'STEPFLOW_IMAGE_PACKAGES',
  /** Colon-separated folders of the image searched for them. */
  imageNodePath: 'STEPFLOW_IMAGE_NODE_PATH',
} as const;

/**
 * A layer stored for the run's jobs.
 *
 * @example
 * ```ts
 * const shipped: ShippedLayer = { sha: 'ab…', url: 's3://b/F/data/ab/ab…', size: 1234, uploaded: false, packages: ['sharp'] };
 * ```
 */
export interface ShippedLayer {
  readonly sha: string;
  readonly url: string;
  /** Bytes of the tar.gz. */
  readonly size: number;
  /** False when the datastore already had it (nothing was uploaded). */
  readonly uploaded: boolean;
  /** `name@version` of the top-level packages it holds. */
  readonly packages: readonly string[];
  readonly platform: JobPlatform;
}

/**
 * Stores a built layer in the flow's content-addressed area unless that sha is already there; the file is
 * read from the per-user cache and its sha256 checked first (a damaged cache entry is never shipped).
 *
 * @example
 * ```ts
 * const shipped = await storeLayer(storage, 'DepsFlow', layer, { os: 'linux', cpu: 'x64', libc: 'glibc' });
 * if (!shipped.uploaded) console.log('layer already stored');
 * ```
 */
export async function storeLayer(
  storage: StorageBackend,
  flowName: string,
  layer: LayerInfo,
  platform: JobPlatform,
): Promise<ShippedLayer> {
  const key = codePackageKey(flowName, layer.sha256);
  const url = `${storage.root.replace(/\/+$/, '')}/${key}`;
  const shipped = {
    sha: layer.sha256,
    url,
    size: layer.size,
    packages: layer.packages.map((p) => `${p.name}@${p.version}`),
    platform,
  };
  try {
    if (await storage.exists(key)) return { ...shipped, uploaded: false };
    const archive = await readFile(layer.archivePath);
    const actual = createHash('sha256').update(archive).digest('hex');
    if (actual !== layer.sha256) {
      throw new Error(
        `the cached layer ${layer.archivePath} has sha256 ${actual}, not ${layer.sha256}: delete it and run again`,
      );
    }
    await storage.put(key, [Buffer.from([0]), archive]);
    return { ...shipped, uploaded: true };
  } catch (cause) {
    throw new BatchLaunchError(
      `could not store the dependency layer (linux-${platform.cpu}, ${layer.sha256.slice(0, 12)}) of ` +
        `${flowName} at ${url}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { action: 'StoreLayer', flow: flowName, cause },
    );
  }
}

/** A step as {@link shipLayers} needs it. */
export interface LayerStep {
  readonly stepName: string;
  readonly platform: JobPlatform;
  readonly imagePackages: readonly string[];
}

/**
 * Builds and stores the layers of a run's `@batch` steps, one per distinct (platform, image packages),
 * before anything is submitted; returns each step's layer (`undefined`: the flow needs none) and notices
 * saying what was uploaded. Errors of the build (a package without a build for the platform, a layer over
 * `STEPFLOW_LAYER_MAX_MB`) propagate as they are: they name the package, the platform and what to do.
 *
 * @example
 * ```ts
 * const { layers } = await shipLayers(steps, ctx.buildLayer, storage, 'DepsFlow');
 * layers.get('train')?.url;
 * ```
 */
export async function shipLayers(
  steps: readonly LayerStep[],
  buildLayer: ((request: LayerRequest) => Promise<LayerInfo | undefined>) | undefined,
  storage: StorageBackend,
  flowName: string,
): Promise<{ layers: Map<string, ShippedLayer | undefined>; notices: string[] }> {
  const layers = new Map<string, ShippedLayer | undefined>();
  const notices: string[] = [];
  if (!buildLayer) return { layers, notices };
  const groups = new Map<string, { request: LayerRequest; steps: string[] }>();
  for (const s of steps) {
    const key = `${s.platform.cpu}|${s.imagePackages.join(',')}`;
    const group = groups.get(key) ?? {
      request: { platform: s.platform, provided: s.imagePackages, steps: [] },
      steps: [],
    };
    group.steps.push(s.stepName);
    groups.set(key, group);
  }
  for (const { request, steps: names } of groups.values()) {
    const layer = await buildLayer({ ...request, steps: names }).catch((cause: unknown) => {
      const steps = names.map((n) => `${flowName}.${n}`).join(', ');
      throw new BatchLaunchError(
        `@batch step${names.length > 1 ? 's' : ''} ${steps} (linux-${request.platform.cpu}): nothing was submitted, ` +
          `the dependency layer cannot be built: ${cause instanceof Error ? cause.message : String(cause)}`,
        { action: 'BuildLayer', flow: flowName, step: names[0], cause },
      );
    });
    const shipped = layer ? await storeLayer(storage, flowName, layer, request.platform) : undefined;
    for (const name of names) layers.set(name, shipped);
    if (shipped) {
      notices.push(
        `@batch: dependency layer for linux-${shipped.platform.cpu} (${shipped.packages.length} packages, ` +
          `${(shipped.size / 2 ** 20).toFixed(1)} MiB, ${shipped.sha.slice(0, 12)}): ` +
          `${shipped.uploaded ? 'uploaded' : 'already stored, nothing uploaded'}` +
          (request.provided.length > 0 ? `; from the image: ${request.provided.join(', ')}` : '') +
          '.',
      );
    }
  }
  return { layers, notices };
}

/**
 * The environment of a job about its dependencies: the layer's URL, sha and size when the flow has one,
 * and the packages its image provides with the folders to find them in.
 *
 * @example
 * ```ts
 * layerEnvironment(resolved, layer); // { STEPFLOW_LAYER_URL: 's3://…', STEPFLOW_LAYER_SHA: '…', ... }
 * ```
 */
export function layerEnvironment(
  step: { readonly imagePackages: readonly string[]; readonly imageNodePath: readonly string[] },
  layer: ShippedLayer | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (layer) {
    env[LAYER_ENV.url] = layer.url;
    env[LAYER_ENV.sha] = layer.sha;
    env[LAYER_ENV.size] = String(layer.size);
  }
  if (step.imagePackages.length > 0) {
    env[LAYER_ENV.imagePackages] = step.imagePackages.join(',');
    env[LAYER_ENV.imageNodePath] = step.imageNodePath.join(':');
  }
  return env;
}
