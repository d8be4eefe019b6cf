/**
 * Credentials for the simulated devices: a JSON file {deviceId: secret} (mode 0600, since it
 * holds secrets in clear), and provisioning straight into a PlantPulse data directory. Secrets
 * in the file that still verify are kept, so re-running never rotates a working device.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { DeviceCredentials } from '../broker/credentials.js';

export function readCredentialsFile(file: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(
      `cannot read credentials ${file}: ${(err as Error).message}; it must be JSON {"deviceId": "secret", ...}`,
    );
  }
  if (
    !doc ||
    typeof doc !== 'object' ||
    Array.isArray(doc) ||
    Object.values(doc).some((v) => typeof v !== 'string')
  ) {
    throw new Error(`credentials ${file} must be a JSON object {"deviceId": "secret", ...}`);
  }
  return doc as Record<string, string>;
}

export function writeCredentialsFile(file: string, secrets: Record<string, string>): void {
  const sorted = Object.fromEntries(Object.entries(secrets).sort(([a], [b]) => (a < b ? -1 : 1)));
  writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // writeFileSync's mode applies only when it creates the file
}

/** Makes sure every device has a working secret in `file`; issues (and stores hashed) the missing ones. */
export async function provisionCredentials(
  db: Database.Database,
  devices: string[],
  file: string,
): Promise<{ secrets: Record<string, string>; issued: string[] }> {
  const store = new DeviceCredentials(db);
  const known = existsSync(file) ? readCredentialsFile(file) : {};
  const secrets: Record<string, string> = {};
  const issued: string[] = [];
  for (const d of devices) {
    const s = known[d];
    if (s !== undefined && (await store.check(d, s)) === 'ok') secrets[d] = s;
    else {
      secrets[d] = await store.issue(d);
      issued.push(d);
    }
  }
  writeCredentialsFile(file, { ...known, ...secrets });
  return { secrets, issued };
}
