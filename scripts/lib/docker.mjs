/**
 * A Docker engine for the local AWS Batch stand-in, on loopback only.
 *
 * `ensureDocker` installs Debian's `docker.io` when `dockerd` is missing (opt-in), reuses a daemon that
 * already answers, or starts `dockerd` with the flags that create no bridge, no NAT and no forwarding:
 * containers then have loopback only, or the host's loopback with `--network host` (what moto uses).
 * A daemon it started is stopped by PID; anything else is left alone.
 *
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

/** The only way this project starts dockerd: no docker0 bridge, no iptables rules, no ip_forward. */
export const SAFE_DOCKERD_FLAGS = Object.freeze([
  '--bridge=none',
  '--iptables=false',
  '--ip-masq=false',
  '--ip-forward=false',
  '--host-gateway-ip=127.0.0.1',
]);

/** daemon.json keys that would clash with (or undo) the safe flags. */
const UNSAFE_CONFIG_KEYS = ['bridge', 'bip', 'iptables', 'ip-masq', 'ip-forward', 'host-gateway-ip'];
const DAEMON_JSON = '/etc/docker/daemon.json';
const POLICY_RC = '/usr/sbin/policy-rc.d';

/** Whether a network interface named docker0 exists on this machine. */
export function hasDocker0() {
  return fs.existsSync('/sys/class/net/docker0');
}

/** The path of an executable on PATH (plus the sbin folders root has), or undefined. */
export function which(name) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Throws unless `args` contain every safe flag and nothing that re-enables a bridge or NAT, and the daemon's
 * config file (default /etc/docker/daemon.json) sets none of the network keys the flags own.
 *
 * @example
 * ```js
 * assertSafeDockerdArgs([...SAFE_DOCKERD_FLAGS, '--data-root=/var/lib/docker']); // ok
 * ```
 */
export function assertSafeDockerdArgs(args, configFile = DAEMON_JSON) {
  const missing = SAFE_DOCKERD_FLAGS.filter((flag) => !args.includes(flag));
  const risky = args.filter((a) => /^--(bip|bridge|iptables|ip-masq|ip-forward|fixed-cidr)\b/.test(a));
  const extra = risky.filter((a) => !SAFE_DOCKERD_FLAGS.includes(a));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `refusing to start dockerd: it would get a network bridge or NAT rules (missing ${missing.join(' ') || 'nothing'}, ` +
        `unsafe ${extra.join(' ') || 'nothing'}). Only ${SAFE_DOCKERD_FLAGS.join(' ')} is allowed.`,
    );
  }
  if (fs.existsSync(configFile)) {
    let config;
    try {
      config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    } catch (err) {
      throw new Error(`refusing to start dockerd: ${configFile} is not valid JSON (${err.message})`);
    }
    const clash = UNSAFE_CONFIG_KEYS.filter((k) => k in config);
    if (clash.length > 0) {
      throw new Error(
        `refusing to start dockerd: ${configFile} sets ${clash.join(', ')}, which the safe flags own; ` +
          'remove those keys (the stand-in passes them on the command line).',
      );
    }
  }
}

/** The daemon socket: DOCKER_HOST when it is a unix socket, else the default. */
function socketPath() {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  if (host)
    throw new Error(`DOCKER_HOST=${host} is not a unix socket; the local stand-in needs a local daemon`);
  return '/var/run/docker.sock';
}

/** True when the daemon answers `GET /_ping` on its socket. */
export function dockerAnswers(timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socketPath(), path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Runs `docker ARGS` synchronously; throws with its stderr on failure, returns trimmed stdout. */
export function docker(args, options = {}) {
  const r = spawnSync('docker', args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error) throw new Error(`docker ${args[0]}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

function kill(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Runs a command without blocking the event loop, its output appended to `log`; throws on failure. */
function run(cmd, args, log, env = process.env) {
  fs.appendFileSync(log, `\n$ ${cmd} ${args.join(' ')}\n`);
  const out = fs.openSync(log, 'a');
  const child = spawn(cmd, args, { env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`${cmd} could not start (${err.message}); see ${log}`)));
    child.once('close', (code) =>
      code === 0
        ? resolve(undefined)
        : reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}); see ${log}`)),
    );
  });
}

/**
 * Installs Debian's docker.io without recommends. The package's postinst would start dockerd with its
 * default (bridged) network, so a `policy-rc.d` that denies service starts is put in place for the
 * install when none exists, and removed afterwards.
 */
async function installDocker(log) {
  if (process.getuid?.() !== 0) {
    throw new Error('dockerd is not installed and this is not root: install docker.io (apt) as root first');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const ownPolicy = !fs.existsSync(POLICY_RC);
  if (ownPolicy)
    fs.writeFileSync(POLICY_RC, '#!/bin/sh\n# stepflow: no service starts during install\nexit 101\n', {
      mode: 0o755,
    });
  try {
    await run('apt-get', ['update', '-q'], log, env);
    await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'docker.io'], log, env);
  } finally {
    if (ownPolicy) fs.rmSync(POLICY_RC, { force: true });
  }
}

/**
 * Makes a Docker daemon answer: installs docker.io when `install` is set and dockerd is missing, reuses a
 * running daemon (refusing one that made a docker0 bridge), or starts dockerd with {@link SAFE_DOCKERD_FLAGS}.
 * `stop()` ends only a daemon started here (SIGTERM by PID; dockerd stops its containerd) and resolves once
 * it has exited; its signal is sent synchronously, so it is safe to call from an exit handler.
 *
 * @param {{ logDir: string, install?: boolean, timeoutMs?: number }} options
 * @returns {Promise<{ pid?: number, installed: boolean, timings: Record<string, number>, stop: () => Promise<void> }>}
 * @example
 * ```js
 * const dockerd = await ensureDocker({ logDir: '.ci/logs', install: true });
 * try { docker(['info']); } finally { await dockerd.stop(); }
 * ```
 */
export async function ensureDocker({ logDir, install = false, timeoutMs = 30_000 }) {
  fs.mkdirSync(logDir, { recursive: true });
  const timings = {};
  let installed = false;
  if (await dockerAnswers()) {
    if (hasDocker0()) {
      throw new Error(
        'a Docker daemon is running with a docker0 bridge; the stand-in allows loopback only. Stop that daemon ' +
          `and let the stand-in start one with ${SAFE_DOCKERD_FLAGS.join(' ')}.`,
      );
    }
    return { installed, timings, stop: async () => {} };
  }
  if (!which('dockerd')) {
    if (!install)
      throw new Error('dockerd is not installed (apt-get install docker.io, or run `npm run aws:local`)');
    const t0 = performance.now();
    await installDocker(path.join(logDir, 'docker-install.log'));
    timings.install = performance.now() - t0;
    installed = true;
  }
  const args = [...SAFE_DOCKERD_FLAGS];
  assertSafeDockerdArgs(args);
  if (hasDocker0())
    throw new Error('a docker0 interface already exists; refusing to start dockerd next to it');
  const logFile = path.join(logDir, 'dockerd.log');
  const log = fs.openSync(logFile, 'w');
  const t0 = performance.now();
  const child = spawn(which('dockerd'), args, { stdio: ['ignore', log, log], detached: true });
  fs.closeSync(log);
  let exited = false;
  const gone = new Promise((resolve) => child.once('exit', resolve)).then(() => {
    exited = true;
  });
  child.unref();
  const stop = () => {
    if (!exited) {
      child.ref(); // keep this process alive until dockerd has exited
      kill(child.pid, 'SIGTERM');
      setTimeout(() => {
        if (!exited) kill(child.pid, 'SIGKILL');
      }, 15_000).unref();
    }
    return gone;
  };
  const deadline = Date.now() + timeoutMs;
  while (!exited && Date.now() < deadline) {
    if (await dockerAnswers(500)) {
      timings.start = performance.now() - t0;
      if (hasDocker0()) {
        await stop();
        throw new Error(
          `dockerd created a docker0 bridge despite ${SAFE_DOCKERD_FLAGS.join(' ')}; stopped it`,
        );
      }
      return { pid: child.pid, installed, timings, stop };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await Promise.race([stop(), new Promise((r) => setTimeout(r, 5000))]);
  throw new Error(`dockerd did not answer within ${timeoutMs / 1000} s; see ${logFile}`);
}
