/**
 * TLS settings shared by the MQTT listeners and the HTTPS API: files read once at start
 * (relative to the plant model), TLS 1.2 as the floor, and the device a client certificate
 * names. Node's defaults already exclude SSLv3/TLS 1.0/1.1 ciphers from the suite list, but the
 * floor is set explicitly so an operator's OpenSSL configuration cannot lower it.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PeerCertificate, TlsOptions } from 'node:tls';
import { ConfigError } from '../config/load.js';
import type { TlsFiles } from '../config/security-schema.js';

function read(configFile: string, key: string, file: string): Buffer {
  const path = resolve(dirname(configFile), file);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(configFile, [
      `${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}); give the path of a PEM file, relative to the plant model`,
    ]);
  }
}

/** Node TLS server options for `files`; `section` names the config path in errors (e.g. "mqtt.tls"). */
export function tlsServerOptions(
  files: TlsFiles,
  configFile: string,
  section: string,
  clientCerts: 'off' | 'optional' | 'required' = 'off',
): TlsOptions {
  return {
    cert: read(configFile, `${section}.cert`, files.cert),
    key: read(configFile, `${section}.key`, files.key),
    ...(files.ca ? { ca: read(configFile, `${section}.ca`, files.ca) } : {}),
    minVersion: files.minVersion,
    requestCert: clientCerts !== 'off',
    // "optional": a client may come without a certificate (and log in with its password); one
    // that presents a certificate our CA did not sign is dropped in the accept handler.
    rejectUnauthorized: clientCerts === 'required',
  };
}

/**
 * The device a verified client certificate names: its subject CN or one of its subjectAltName
 * DNS/URI entries, whichever is a device id of the plant model (CN first).
 */
export function deviceFromCertificate(
  cert: PeerCertificate | undefined,
  isDevice: (id: string) => boolean,
): string | undefined {
  if (!cert || !cert.subject) return undefined;
  const cn = cert.subject.CN;
  const candidates = [
    ...(Array.isArray(cn) ? cn : cn ? [cn] : []),
    ...(cert.subjectaltname ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('DNS:') || s.startsWith('URI:'))
      .map((s) => s.slice(4)),
  ];
  return candidates.find(isDevice);
}
