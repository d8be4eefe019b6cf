/**
 * Predictive-maintenance settings (issue 7): per machine (`maintenance:` inside a machine) the
 * bearing geometry, where the shaft speed comes from, the ISO 10816-3 group and foundation and
 * the wear limit; plant-wide (`maintenance:` at the top) how the trend is learned and fitted.
 * Everything is optional: a machine with a vibration sensor gets wear analytics with defaults.
 */
import { z } from 'zod';
import { duration } from './duration.js';

export const bearingSchema = z
  .strictObject({
    balls: z.number().int().min(3).describe('Number of rolling elements.'),
    ballDiameterMm: z.number().positive().describe('Rolling-element diameter d (mm).'),
    pitchDiameterMm: z.number().positive().describe('Pitch diameter D (mm).'),
    contactAngleDeg: z.number().min(0).max(60).default(0).describe('Contact angle φ (degrees).'),
  })
  .refine((b) => b.ballDiameterMm < b.pitchDiameterMm, {
    message: 'ballDiameterMm must be smaller than pitchDiameterMm (d < D)',
    path: ['ballDiameterMm'],
  });

export const machineMaintenanceSchema = z
  .strictObject({
    sensor: z
      .string()
      .optional()
      .describe(
        'Id of the vibration (or waveform) sensor that drives the wear index (default: the first vibration sensor, else the first waveform sensor).',
      ),
    bearing: bearingSchema
      .optional()
      .describe('Monitored bearing geometry: enables energy around BPFO/BPFI/BSF/FTF.'),
    shaftSpeed: z
      .union([
        z.strictObject({ rpm: z.number().positive().describe('Fixed shaft speed (rpm).') }),
        z.strictObject({
          sensor: z.string().describe('Id of a speed sensor of this machine (rpm).'),
        }),
      ])
      .optional()
      .describe('Where the shaft speed for the bearing defect frequencies comes from.'),
    iso: z
      .strictObject({
        group: z
          .union([z.literal(1), z.literal(2)])
          .describe('ISO 10816-3 group: 1 large (300 kW–50 MW), 2 medium (15–300 kW).'),
        foundation: z.enum(['rigid', 'flexible']),
      })
      .optional()
      .describe(
        'ISO 10816-3 group and foundation. Without it the machine vibrationClass (ISO 10816-1 I–IV) is used, else group 2 rigid.',
      ),
    limit: z
      .union([
        z.strictObject({
          mmPerS: z.number().positive().describe('Absolute alarm limit, velocity RMS mm/s.'),
        }),
        z.strictObject({
          baselineFactor: z
            .number()
            .gt(1)
            .describe('Alarm at this multiple of the learned baseline, e.g. 2.5.'),
        }),
      ])
      .optional()
      .describe('Wear limit (default: the ISO zone C/D boundary).'),
    runningPowerW: z
      .number()
      .positive()
      .optional()
      .describe(
        'Power above which the machine counts as running (default: 10 % of the highest power seen in learning).',
      ),
  })
  .optional();

export const maintenanceSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    learning: duration()
      .default(2 * 86_400_000)
      .describe('Event time from the first running reading during which the baseline is learned.'),
    trendPoints: z
      .number()
      .int()
      .min(10)
      .default(48)
      .describe(
        'Running hours fitted for the remaining-useful-life trend: the most recent ones (about three production days).',
      ),
    trendWindow: duration()
      .default(14 * 86_400_000)
      .describe(
        'Oldest a trend point may be (a machine that stood still for weeks starts afresh).',
      ),
    minPoints: z
      .number()
      .int()
      .min(5)
      .default(24)
      .describe('Fewest running hours in the window before an estimate is given.'),
    lateness: duration()
      .default(10 * 60_000)
      .describe('How late a reading may arrive and still count for its hour.'),
  })
  .prefault({});

export type MachineMaintenanceConfig = z.output<typeof machineMaintenanceSchema>;
export type MaintenanceConfig = z.output<typeof maintenanceSchema>;
export type BearingGeometry = z.output<typeof bearingSchema>;
