/**
 * A `node_modules` tree for another platform than the launching machine's, installed by npm from the
 * project's lockfile with its own `--os`/`--cpu`/`--libc` selection, cached by lockfile and platform.
 *
 * @module
 */

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { LayerInstallError } from './errors.js';
import { type Platform, platformLabel } from './platform.js';

const run = promisify(execFile);

/** The lockfile names npm reads, in its order of preference. */
const LOCKFILES = ['npm-shrinkwrap.json', 'package-lock.json'];

/**
 * The project of a flow: the nearest folder at or above `flowDir` holding a `package.json` and an npm
 * lockfile, or `undefined`.
 *
 * @example
 * ```ts
 * await findLockfile('/p/flows'); // { dir: '/p', lockfile: '/p/package-lock.json' }
 * ```
 */
export async function findLockfile(flowDir: string): Promise<{ dir: string; lockfile: string } | undefined> {
  for (let dir = path.resolve(flowDir); ; dir = path.dirname(dir)) {
    for (const name of LOCKFILES) {
      const lockfile = path.join(dir, name);
      const isFile = await stat(lockfile).then(
        (s) => s.isFile(),
        () => false,
      );
      const hasPackageJson = await stat(path.join(dir, 'package.json')).then(
        (s) => s.isFile(),
        () => false,
      );
      if (isFile && hasPackageJson) return { dir, lockfile };
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The hash a platform tree is cached under: the lockfile, the `package.json` and the platform.
 *
 * @example
 * ```ts
 * const key = await platformTreeKey('/p/package-lock.json', parsePlatform('linux-arm64'));
 * ```
 */
export async function platformTreeKey(lockfile: string, platform: Platform): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`stepflow-tree-v1\0${platformLabel(platform)}\0`);
  hash.update(await readFile(lockfile));
  hash.update('\0');
  hash.update(await readFile(path.join(path.dirname(lockfile), 'package.json')));
  return hash.digest('hex');
}

/**
 * Installs (once per lockfile and platform) the project's dependencies for `platform` into
 * `<cacheDir>/trees/<key>/node_modules` with `npm ci --os --cpu --libc --ignore-scripts --omit=dev`,
 * and returns that folder's parent (to resolve packages from). Throws a {@link LayerInstallError}
 * when the flow has no lockfile or npm fails.
 *
 * @example
 * ```ts
 * const root = await platformTree('/p/flows', parsePlatform('linux-arm64'), userCacheDir());
 * // root/node_modules/@img/sharp-linux-arm64 exists
 * ```
 */
export async function platformTree(flowDir: string, platform: Platform, cacheDir: string): Promise<string> {
  const label = platformLabel(platform);
  const found = await findLockfile(flowDir);
  if (found === undefined) {
    throw new LayerInstallError(
      `Building the dependency layer for ${label} (the job's platform, not this machine's) needs the ` +
        `project's package-lock.json, and there is none at or above ${flowDir}. Run \`npm install\` in the ` +
        'project to write it, and run again.',
      { platform: label },
    );
  }
  const key = await platformTreeKey(found.lockfile, platform);
  const parent = path.join(cacheDir, 'trees');
  const target = path.join(parent, key);
  const complete = await stat(path.join(target, '.complete')).then(
    () => true,
    () => false,
  );
  if (complete) return target;
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const tmp = await mkdtemp(path.join(parent, `.tmp-${key.slice(0, 12)}-`));
  try {
    await copyFile(path.join(found.dir, 'package.json'), path.join(tmp, 'package.json'));
    await copyFile(found.lockfile, path.join(tmp, path.basename(found.lockfile)));
    const args = [
      'ci',
      `--os=${platform.os}`,
      `--cpu=${platform.cpu}`,
      ...(platform.libc ? [`--libc=${platform.libc}`] : []),
      '--ignore-scripts',
      '--omit=dev',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ];
    try {
      await run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, {
        cwd: tmp,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, npm_config_workspaces: 'false' },
      });
    } catch (cause) {
      const e = cause as { stderr?: string; stdout?: string };
      const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim();
      throw new LayerInstallError(
        `npm could not install ${found.lockfile} for ${label}: ${output.split('\n').slice(-5).join(' ')}. ` +
          'Check that `npm ci` works in the project (the lockfile matches package.json) and that the npm ' +
          'registry is reachable.',
        { platform: label, output, cause },
      );
    }
    await writeFile(path.join(tmp, '.complete'), `${new Date().toISOString()}\n`);
    await rename(tmp, target).catch(async (error: NodeJS.ErrnoException) => {
      // Another build installed the same tree first: keep theirs.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      await rm(tmp, { recursive: true, force: true });
    });
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  return target;
}
