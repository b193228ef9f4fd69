/**
 * `NODE_EXTRA_CA_CERTS`, applied lazily.
 *
 * Node 20 parses the extra CA file at process start-up, which costs ~90 ms of CPU per process on machines
 * that point it at the full system bundle; with one process per task that dominated a no-op task. The
 * local launcher therefore passes the file as `STEPFLOW_EXTRA_CA_CERTS` instead, and this module adds the
 * certificates to TLS contexts on first use, with the same meaning: trusted in addition to Node's roots.
 * Certificates already among Node's bundled roots are skipped, so the usual case (the system bundle) adds
 * nothing per connection.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { errorMessage } from '../common/index.js';

/** Environment variable the launcher moves `NODE_EXTRA_CA_CERTS` to. */
export const LAZY_CA_ENV = 'STEPFLOW_EXTRA_CA_CERTS';

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function normalize(pem: string): string {
  return pem.replace(/\s+/g, '');
}

/**
 * The certificates of `file` that Node does not already trust.
 *
 * @example
 * ```ts
 * extraCertificates('/etc/ssl/certs/corp-proxy.pem'); // ['-----BEGIN CERTIFICATE-----...']
 * ```
 */
export function extraCertificates(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.emitWarning(`Ignoring extra CA certificates file ${file}: ${errorMessage(err)}`);
    return [];
  }
  const known = new Set(tls.rootCertificates.map(normalize));
  return splitPem(text).filter((pem) => !known.has(normalize(pem)));
}

/**
 * Installs the lazy extra-CA behaviour when the launcher asked for it. Restores `NODE_EXTRA_CA_CERTS` in
 * `process.env` so that child processes the step starts see the usual variable.
 *
 * @example
 * ```ts
 * installLazyExtraCa(); // at the top of the task entry
 * ```
 */
export function installLazyExtraCa(env: NodeJS.ProcessEnv = process.env): void {
  const file = env[LAZY_CA_ENV];
  if (!file) return;
  delete env[LAZY_CA_ENV];
  env.NODE_EXTRA_CA_CERTS = file;
  let extra: string[] | undefined;
  const original = tls.createSecureContext;
  tls.createSecureContext = function lazyExtraCa(options?: tls.SecureContextOptions): tls.SecureContext {
    const context = original(options);
    if (!options?.ca) {
      extra ??= extraCertificates(file);
      const native = (context as unknown as { context: { addCACert(pem: string): void } }).context;
      for (const pem of extra) native.addCACert(pem);
    }
    return context;
  };
}
