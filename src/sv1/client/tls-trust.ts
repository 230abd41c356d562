/**
 * Which certificates a `stratum+ssl://` pool is checked against. By default: the operating system's CA store (what
 * `curl` and the package manager trust on this machine, updated with it) together with Node's bundled Mozilla set,
 * and the pool's host name must match its certificate. A pool with a self-signed certificate is opted in per pool
 * by giving that certificate (or the CA that signed it) as a PEM file: it is trusted in addition, for that pool
 * only; nothing else is relaxed.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';

/** Where Linux distributions keep the system CA bundle (Debian / Raspberry Pi OS first). */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

let systemStore: string[] | null = null;

/** The system store's certificates as PEM blocks (read once; empty when the machine has none we can find). */
export function systemCaCertificates(): string[] {
  if (systemStore !== null) return systemStore;
  // Node 22.15+/23.5+ reads the OS store itself; Node 20 does not, so the distribution's bundle file is read.
  const getCa = (tls as unknown as { getCACertificates?: (kind: string) => string[] }).getCACertificates;
  if (typeof getCa === 'function') {
    try {
      systemStore = getCa('system');
      return systemStore;
    } catch {
      // fall through to the bundle files
    }
  }
  const paths = process.env.SSL_CERT_FILE ? [process.env.SSL_CERT_FILE, ...SYSTEM_BUNDLES] : SYSTEM_BUNDLES;
  for (const path of paths) {
    try {
      const blocks = pemCertificates(readFileSync(path, 'utf8'));
      if (blocks.length > 0) {
        systemStore = blocks;
        return blocks;
      }
    } catch {
      // not on this system
    }
  }
  systemStore = [];
  return systemStore;
}

/** The `ca` option for a TLS pool: system store + Node's bundled roots + the pool's own certificate, if any. */
export function caForPool(extraPem: string | null): string[] {
  const ca = [...systemCaCertificates(), ...tls.rootCertificates];
  if (extraPem !== null) ca.push(...pemCertificates(extraPem));
  return ca;
}

/** The PEM certificate blocks in a text. */
export function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * Checks that `text` holds at least one readable PEM certificate; returns a one-line reason when not (for a
 * config error), or null when it is usable.
 */
export function pemProblem(text: string): string | null {
  const blocks = pemCertificates(text);
  if (blocks.length === 0) return 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)';
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      return `holds a certificate that cannot be read (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  return null;
}
