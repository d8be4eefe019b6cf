import type { Command } from 'commander';
import { AuditTrail } from '../../audit/trail.js';
import { DeviceCredentials } from '../../broker/credentials.js';
import { loadPlantModel } from '../../config/load.js';
import { openDatabase } from '../../store/db.js';
import { CliError } from '../cli-error.js';
import { cliActor } from './tokens.js';

export function registerDevices(program: Command): void {
  const devices = program.command('devices').description('manage device credentials');

  devices
    .command('add')
    .description(
      'create (or rotate) the secret of a device of the plant model; prints the secret once, as the last line',
    )
    .requiredOption('-c, --config <file>', 'plant model YAML')
    .requiredOption('-d, --data-dir <dir>', 'data directory of the PlantPulse instance')
    .requiredOption(
      '--device <id>',
      'device id (its MQTT user name), as listed under devices: in the plant model',
    )
    .action(async (opts: { config: string; dataDir: string; device: string }) => {
      const model = loadPlantModel(opts.config);
      const device = model.devices.find((d) => d.id === opts.device);
      if (!device) {
        const known = model.devices.map((d) => d.id).join(', ') || '(none)';
        throw new CliError(
          `device "${opts.device}" is not in ${opts.config}; add it under devices: first (known: ${known})`,
        );
      }
      const db = openDatabase(opts.dataDir, { durability: 'full' });
      try {
        const creds = new DeviceCredentials(db);
        const rotated = creds.has(device.id);
        const secret = await creds.issue(device.id, {
          trail: new AuditTrail(db),
          actor: cliActor(),
        });
        process.stdout.write(
          `${rotated ? 'Rotated' : 'Created'} credentials for device "${device.id}" (may publish under ${device.prefix}/).\n` +
            `MQTT user name: ${device.id}\n` +
            'The secret (MQTT password) is shown once and stored only as a hash; keep it now:\n' +
            `${secret}\n`,
        );
      } finally {
        db.close();
      }
    });

  devices
    .command('remove')
    .description(
      'disable the credentials of a device: its password and client certificate stop working, and a running PlantPulse closes its open MQTT sessions within a second (audited)',
    )
    .requiredOption('-d, --data-dir <dir>', 'data directory of the PlantPulse instance')
    .requiredOption('--device <id>', 'device id (its MQTT user name)')
    .action((opts: { dataDir: string; device: string }) => {
      const db = openDatabase(opts.dataDir, { durability: 'full' });
      try {
        const creds = new DeviceCredentials(db);
        if (!creds.disable(opts.device, { trail: new AuditTrail(db), actor: cliActor() })) {
          throw new CliError(
            `device "${opts.device}" is already removed (see: plantpulse devices list)`,
          );
        }
        process.stdout.write(`Removed the credentials of device "${opts.device}".\n`);
      } finally {
        db.close();
      }
    });

  devices
    .command('rotate')
    .description(
      'replace the secret of a device that has credentials; the old secret stops working and a running PlantPulse closes sessions that logged in with it within a second (audited). Prints the new secret once, as the last line',
    )
    .requiredOption('-d, --data-dir <dir>', 'data directory of the PlantPulse instance')
    .requiredOption('--device <id>', 'device id (its MQTT user name)')
    .action(async (opts: { dataDir: string; device: string }) => {
      const db = openDatabase(opts.dataDir, { durability: 'full' });
      try {
        const creds = new DeviceCredentials(db);
        const now = creds.current(opts.device);
        // Rotating must never bring back a removed device or create one from a typo: that is `add`.
        if (!now || now.disabled) {
          const why = now ? 'was removed' : 'has no secret';
          throw new CliError(
            `device "${opts.device}" ${why}; nothing to rotate (to give it a secret: plantpulse devices add --device ${opts.device})`,
          );
        }
        const secret = await creds.issue(opts.device, {
          trail: new AuditTrail(db),
          actor: cliActor(),
        });
        process.stdout.write(
          `Rotated the secret of device "${opts.device}"; the old one no longer works.\n` +
            `MQTT user name: ${opts.device}\n` +
            'The new secret (MQTT password) is shown once and stored only as a hash; keep it now:\n' +
            `${secret}\n`,
        );
      } finally {
        db.close();
      }
    });

  devices
    .command('list')
    .description('list devices of the plant model and whether they have credentials')
    .requiredOption('-c, --config <file>', 'plant model YAML')
    .requiredOption('-d, --data-dir <dir>', 'data directory of the PlantPulse instance')
    .action((opts: { config: string; dataDir: string }) => {
      const model = loadPlantModel(opts.config);
      const db = openDatabase(opts.dataDir, { durability: 'full' });
      try {
        const creds = new Map(new DeviceCredentials(db).list().map((c) => [c.id, c]));
        for (const d of model.devices) {
          const c = creds.get(d.id);
          const state = !c
            ? 'no credentials'
            : c.disabled
              ? 'disabled'
              : `credentials since ${new Date(c.created).toISOString()}`;
          process.stdout.write(`${d.id}\t${d.prefix}/\t${state}\n`);
        }
      } finally {
        db.close();
      }
    });
}
