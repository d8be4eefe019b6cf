import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadPlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { plantJsonSchema } from '../../config/schema.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('the plant model file');

  config
    .command('schema')
    .description('print the JSON Schema of the plant model (for editor autocompletion)')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action((opts: { out?: string }) => {
      const text = `${JSON.stringify(plantJsonSchema(), null, 2)}\n`;
      if (opts.out) writeFileSync(opts.out, text);
      else process.stdout.write(text);
    });

  config
    .command('check')
    .description('validate a plant model and summarise it')
    .requiredOption('-c, --config <file>', 'plant model YAML')
    .action((opts: { config: string }) => {
      const index = buildPlantIndex(loadPlantModel(opts.config), opts.config);
      const machines = new Set(index.sensors.map((s) => `${s.site}/${s.line}/${s.machine}`)).size;
      process.stdout.write(
        `${opts.config} is valid: ${index.model.sites.length} site(s), ${index.lines.length} line(s), ${machines} machines, ${index.sensors.length} sensors, ${index.devices.size} devices\n`,
      );
    });
}
