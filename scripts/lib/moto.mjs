/**
 * Starts the moto server (S3, Batch, CloudWatch Logs stand-in, from the machine's python3) on a free
 * loopback port for the test run, and stops it by PID.
 *
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * The python3 that has moto: `STEPFLOW_PYTHON` when set (scripts/test.mjs sets it from its own PATH, since
 * test processes get the host node's folder first on PATH, where Debian's python3 lacks moto), else `python3`.
 */
export function pythonCommand() {
  return process.env.STEPFLOW_PYTHON || 'python3';
}

/** True when that python3 can import moto's server. */
export function motoAvailable() {
  const r = spawnSync(pythonCommand(), ['-c', 'import moto, moto.server, flask, flask_cors'], {
    stdio: 'ignore',
  });
  return r.status === 0;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function answers(url) {
  try {
    const res = await fetch(`${url}/moto-api/`);
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Starts moto on 127.0.0.1 and a free port; resolves once it answers.
 *
 * @param {{ logDir: string, env?: NodeJS.ProcessEnv }} options
 * @returns {Promise<{ url: string, pid: number, stop: () => Promise<void> }>}
 * @example
 * const moto = await startMoto({ logDir: '.ci/logs' });
 * process.env.STEPFLOW_TEST_AWS_ENDPOINT = moto.url;
 * await moto.stop();
 */
export async function startMoto({ logDir, env = process.env }) {
  fs.mkdirSync(logDir, { recursive: true });
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const log = fs.openSync(path.join(logDir, `moto-${port}.log`), 'w');
    const child = spawn(pythonCommand(), ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
      // MOTO_PORT: moto tells its job containers this port (else "5000"), so a stand-in finds its own jobs.
      env: { ...env, MOTO_DOCKER_NETWORK_MODE: 'host', MOTO_PORT: String(port) },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const deadline = Date.now() + 30_000;
    while (!exited && Date.now() < deadline) {
      if (await answers(url)) {
        return {
          url,
          port,
          pid: child.pid,
          stop: () =>
            new Promise((resolve) => {
              if (exited) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 5000).unref();
            }),
        };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!exited) child.kill('SIGKILL');
  }
  throw new Error(`moto did not start; see ${logDir}/moto-*.log`);
}
