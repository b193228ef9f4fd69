/**
 * What `@batch` options become inside the container: devices (Inferentia/Trainium chips, EFA adapters),
 * host and EFS volumes with their mount points, and absolute-path checks shared by tmpfs and volumes.
 *
 * @module
 */
import type { StepWhere } from '../../../decorators/index.js';
import { batchOptionError } from '../errors.js';

/** A device mapped into the container (`linuxParameters.devices`). */
export interface BatchDevice {
  readonly hostPath: string;
  readonly containerPath: string;
  readonly permissions: readonly ('READ' | 'WRITE' | 'MKNOD')[];
}

/** A host path mounted in the container. */
export interface BatchHostVolume {
  readonly name: string;
  readonly hostPath: string;
  readonly containerPath: string;
}

/** An EFS file system mounted in the container (with transit encryption). */
export interface BatchEfsVolume {
  readonly name: string;
  readonly fileSystemId: string;
  readonly containerPath: string;
}

const EFS_ID = /^fs-[0-9A-Za-z]+$/;

/**
 * Whether a path is absolute and clean enough for a mount: starts with `/`, is not `/` itself, and has no
 * `..` segment, whitespace, `:` or `,`.
 *
 * @example
 * ```ts
 * isMountPath('/metaflow_temp'); // true
 * isMountPath('tmp');            // false
 * ```
 */
export function isMountPath(path: string): boolean {
  return (
    path.startsWith('/') &&
    path.replace(/\/+$/, '') !== '' &&
    !/[\s:,]/.test(path) &&
    !path.split('/').includes('..')
  );
}

/**
 * The devices Metaflow maps: `inferentia` chips as `/dev/neuron0..n-1` (read/write), and `efa` adapters as
 * `/dev/infiniband/uverbs0..n-1` (read/write/mknod). Metaflow maps a single `uverbs0` whatever the EFA
 * count on one node; stepflow maps as many as asked.
 *
 * @example
 * ```ts
 * devicesFor(1, 0); // [{ hostPath: '/dev/neuron0', containerPath: '/dev/neuron0', permissions: ['READ', 'WRITE'] }]
 * ```
 */
export function devicesFor(inferentia: number, efa: number): BatchDevice[] {
  const devices: BatchDevice[] = [];
  for (let i = 0; i < inferentia; i++) {
    devices.push({
      hostPath: `/dev/neuron${i}`,
      containerPath: `/dev/neuron${i}`,
      permissions: ['READ', 'WRITE'],
    });
  }
  for (let i = 0; i < efa; i++) {
    const path = `/dev/infiniband/uverbs${i}`;
    devices.push({ hostPath: path, containerPath: path, permissions: ['READ', 'WRITE', 'MKNOD'] });
  }
  return devices;
}

function splitSpec(spec: string): [string, string | undefined] {
  const colon = spec.indexOf(':');
  return colon < 0 ? [spec, undefined] : [spec.slice(0, colon), spec.slice(colon + 1)];
}

/**
 * Parses `hostVolumes` entries, `"/host"` (mounted at the same path) or `"/host:/container"`; both paths
 * must be absolute. Volumes are named `host-<index>`.
 *
 * @example
 * ```ts
 * parseHostVolumes(where, ['/data:/mnt/data']); // [{ name: 'host-0', hostPath: '/data', containerPath: '/mnt/data' }]
 * ```
 */
export function parseHostVolumes(where: StepWhere, specs: readonly string[]): BatchHostVolume[] {
  return specs.map((spec, i) => {
    const [hostPath, target] = splitSpec(spec);
    const containerPath = target ?? hostPath;
    if (!isMountPath(hostPath) || !isMountPath(containerPath)) {
      throw batchOptionError(
        where,
        'hostVolumes',
        spec,
        'each entry of option "hostVolumes" must be "/host/path" or "/host/path:/container/path", ' +
          'with absolute paths other than "/" (no spaces, "..", "," or extra ":")',
      );
    }
    return { name: `host-${i}`, hostPath, containerPath };
  });
}

/**
 * Parses `efsVolumes` entries, `"fs-123"` (mounted at `/mnt/fs-123`) or `"fs-123:/container/path"`.
 * Volumes are named `efs-<index>`.
 *
 * @example
 * ```ts
 * parseEfsVolumes(where, ['fs-12345678']); // [{ name: 'efs-0', fileSystemId: 'fs-12345678', containerPath: '/mnt/fs-12345678' }]
 * ```
 */
export function parseEfsVolumes(where: StepWhere, specs: readonly string[]): BatchEfsVolume[] {
  return specs.map((spec, i) => {
    const [fileSystemId, target] = splitSpec(spec);
    const containerPath = target ?? `/mnt/${fileSystemId}`;
    if (!EFS_ID.test(fileSystemId) || !isMountPath(containerPath)) {
      throw batchOptionError(
        where,
        'efsVolumes',
        spec,
        'each entry of option "efsVolumes" must be an EFS file system id ("fs-12345678"), optionally ' +
          'followed by ":/container/path" (absolute, other than "/")',
      );
    }
    return { name: `efs-${i}`, fileSystemId, containerPath };
  });
}

/**
 * Throws when two mounts (volumes, tmpfs) share a container path: Docker refuses duplicate mount points.
 *
 * @example
 * ```ts
 * checkDistinctMounts(where, [{ option: 'tmpfsPath', path: '/metaflow_temp' }, { option: 'hostVolumes', path: '/data' }]);
 * ```
 */
export function checkDistinctMounts(
  where: StepWhere,
  mounts: readonly { readonly option: string; readonly path: string }[],
): void {
  const seen = new Map<string, string>();
  for (const { option, path } of mounts) {
    const key = path.replace(/\/+$/, '');
    const first = seen.get(key);
    if (first !== undefined) {
      throw batchOptionError(
        where,
        option,
        path,
        `the container path "${path}" is mounted twice (by ${first} and ${option}); each mount needs its own path`,
      );
    }
    seen.set(key, option);
  }
}
