/**
 * Anomaly and SPC settings (issue 6): defaults for every sensor plus per-sensor overrides keyed
 * by sensor path (`site/line/machine/sensor`). One configuration serves all sensors; the
 * defaults are the ones measured on the simulator truth and the NAB subset (analytics/anomaly/README.md).
 */
import { z } from 'zod';
import { duration } from './duration.js';

export const detectorSettingsSchema = z.strictObject({
  enabled: z
    .boolean()
    .optional()
    .describe('Score this sensor (default: all scalar process sensors).'),
  flagOn: z
    .number()
    .positive()
    .optional()
    .describe('Evidence (robust sigmas) at which the anomaly flag turns on (default 5).'),
  flagOff: z
    .number()
    .positive()
    .optional()
    .describe('Evidence below which the flag may turn off again (hysteresis, default 3).'),
  holdReadings: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Consecutive calm readings before the flag turns off (default 10).'),
  learn: duration()
    .optional()
    .describe(
      'After a sensor\'s first reading, how long it is scored but never flagged while the detector learns its levels, e.g. "6h" (default).',
    ),
  halfLife: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Readings over which level and scale estimates adapt (default 300).'),
  warmup: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Readings a regime needs before deviations from it count (default 30).'),
  seasonal: z.boolean().optional().describe('Hour-of-week seasonal baseline (default true).'),
  gapFactor: z
    .number()
    .min(1.5)
    .optional()
    .describe('A gap longer than this many expected intervals is a dropout (default 5).'),
  spcBaseline: z
    .number()
    .int()
    .min(20)
    .optional()
    .describe(
      'Readings forming the SPC baseline of a critical sensor when no baseline period is given (default: its first day of readings, at least 500).',
    ),
  spcBaselinePeriod: z
    .strictObject({
      from: z.iso.datetime({ offset: true }),
      to: z.iso.datetime({ offset: true }),
    })
    .refine((p) => Date.parse(p.from) < Date.parse(p.to), {
      message: 'spcBaselinePeriod: "from" must be before "to"',
    })
    .optional()
    .describe(
      'Period whose readings set the SPC control limits of a critical sensor (a validated, in-control run), e.g. { from: "2026-03-02T06:00:00Z", to: "2026-03-09T06:00:00Z" }.',
    ),
  phaseAware: z
    .boolean()
    .optional()
    .describe(
      "Use the line's batch phases (MES batch events): a per-phase profile, and no level alarms while a phase not yet learnt settles (default true).",
    ),
  settle: duration()
    .optional()
    .describe(
      'After a change into a batch phase not yet learnt, how long level changes are expected, e.g. "30m" (default).',
    ),
  minSigmaOfRange: z
    .number()
    .min(0)
    .max(0.5)
    .optional()
    .describe(
      "Smallest robust sigma as a fraction of the sensor's declared range: deviations much smaller than this are not paged about (default 0.01; 0 = off).",
    ),
});

export const anomalySchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    contextLateness: duration()
      .default(10 * 60_000)
      .describe(
        'How long the readings of a line that reports batch phases wait for the MES events that govern them before they are scored (default "10m").',
      ),
    defaults: detectorSettingsSchema.prefault({}),
    sensors: z
      .record(z.string(), detectorSettingsSchema)
      .default({})
      .describe('Per-sensor overrides keyed by site/line/machine/sensor.'),
  })
  .prefault({});

export type DetectorSettingsInput = z.output<typeof detectorSettingsSchema>;
export type AnomalyConfig = z.output<typeof anomalySchema>;
