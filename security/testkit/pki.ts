/**
 * Test and bench support (not used by PlantPulse itself). A throw-away PKI made with the real `openssl` CLI at test time: a CA, a server certificate
 * for localhost/127.0.0.1, device client certificates (by CN or by subjectAltName) and a
 * client certificate from a second, unrelated CA that PlantPulse must refuse.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ossl = (dir: string, args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function ca(dir: string, name: string): void {
  ossl(dir, [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
}

function leaf(dir: string, caName: string, name: string, subject: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  ossl(dir, [
    'req',
    '-new',
    ...EC,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  ]);
  ossl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${caName}.crt`,
    '-CAkey',
    `${caName}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  ]);
}

export interface Pki {
  dir: string;
  /** PEM contents */
  ca: Buffer;
  client(name: string): { cert: Buffer; key: Buffer };
}

export function makePki(dir: string): Pki {
  ca(dir, 'ca');
  ca(dir, 'rogue-ca');
  leaf(
    dir,
    'ca',
    'server',
    '/CN=localhost',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  // Device gw1 named by its CN; device gw2 named only by a subjectAltName.
  leaf(dir, 'ca', 'gw1', '/CN=gw1', 'extendedKeyUsage=clientAuth\n');
  leaf(
    dir,
    'ca',
    'gw2-san',
    '/CN=line-2 gateway',
    'subjectAltName=DNS:gw2\nextendedKeyUsage=clientAuth\n',
  );
  // A certificate from our CA that names no device.
  leaf(dir, 'ca', 'stranger', '/CN=laptop-17', 'extendedKeyUsage=clientAuth\n');
  // Claims to be gw1, but signed by a CA PlantPulse does not trust.
  leaf(dir, 'rogue-ca', 'rogue-gw1', '/CN=gw1', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    ca: readFileSync(join(dir, 'ca.crt')),
    client: (name) => ({
      cert: readFileSync(join(dir, `${name}.crt`)),
      key: readFileSync(join(dir, `${name}.key`)),
    }),
  };
}
