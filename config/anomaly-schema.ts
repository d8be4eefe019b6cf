/**
 * Anomaly and SPC settings (issue 6): defaults for every sensor plus per-sensor overrides keyed
 * by sensor path (`site/line/machine/sensor`). One configuration serves all sensors; the
 * defaults are the ones measured on the simulator truth and the NAB subset (analytics/anomaly/README.md).
 */
import { z } from 'zod';

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
    .describe('Readings forming the SPC baseline of a critical sensor (default 500).'),
});

export const anomalySchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    defaults: detectorSettingsSchema.prefault({}),
    sensors: z
      .record(z.string(), detectorSettingsSchema)
      .default({})
      .describe('Per-sensor overrides keyed by site/line/machine/sensor.'),
  })
  .prefault({});

export type DetectorSettingsInput = z.output<typeof detectorSettingsSchema>;
export type AnomalyConfig = z.output<typeof anomalySchema>;
