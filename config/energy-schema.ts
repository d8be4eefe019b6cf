/**
 * The `energy:` section of the plant model (issue 4): how energy is computed from the log
 * (gap limit, lateness, which meter wins per machine), what it costs (time-of-use tariff,
 * holidays, monthly peak-demand charge) and what it emits (CO2 factor, constant or by hour).
 * Every key has a default, so plant files without the section stay valid.
 */
import { z } from 'zod';
import { duration } from './duration.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const hour = z.number().int().min(0).max(24);

export const tariffPeriodSchema = z
  .strictObject({
    name: z.string().describe('Label of the period, e.g. "peak" (Hochtarif).'),
    days: z
      .array(z.enum([...WEEKDAYS, 'holiday']))
      .min(1)
      .describe('Days the period applies on; a date in `holidays` counts as "holiday" only.'),
    from: hour.describe('Local start hour (inclusive), 0–23.'),
    to: hour.describe('Local end hour (exclusive), 1–24.'),
    price: z.number().min(0).describe('Energy price in `currency` per kWh.'),
  })
  .refine((p) => p.from < p.to, {
    message: 'from must be before to (local hours, 0–24)',
    path: ['to'],
  });

export const tariffSchema = z
  .strictObject({
    currency: z.string().min(1).default('CHF'),
    basePrice: z
      .number()
      .min(0)
      .default(0)
      .describe('Price per kWh outside every period (off-peak, Niedertarif).'),
    periods: z
      .array(tariffPeriodSchema)
      .default([])
      .describe('Time-of-use periods; the first matching period gives the price.'),
    holidays: z
      .array(z.iso.date())
      .default([])
      .describe('Local dates billed as "holiday" instead of their weekday.'),
    peakDemand: z
      .strictObject({
        window: duration()
          .default(900_000)
          .refine((ms) => ms === 600_000 || ms === 900_000, 'the demand window is "10m" or "15m"'),
        pricePerKw: z.number().min(0).describe('Monthly charge per kW of the highest window mean.'),
      })
      .optional()
      .describe('Monthly peak-demand charge on the highest 10- or 15-minute mean power.'),
  })
  .prefault({});

export const co2Schema = z
  .union([
    z.strictObject({ factor: z.number().min(0).describe('kg CO2 per kWh, constant.') }),
    z.strictObject({
      hourly: z.array(z.number().min(0)).length(24).describe('kg CO2 per kWh by local hour 0–23.'),
    }),
  ])
  .default({ factor: 0 });

export const enpiSchema = z
  .strictObject({
    baseline: z
      .strictObject({
        from: z.iso.date().describe('First local day of the baseline period (inclusive).'),
        to: z.iso.date().describe('Local day after the baseline period (exclusive).'),
      })
      .refine((b) => b.from < b.to, { message: 'from must be before to', path: ['to'] })
      .optional()
      .describe('Baseline period of the EnPI (ISO 50006); without it reports show no baseline.'),
    minBatches: z
      .number()
      .int()
      .min(3)
      .default(8)
      .describe(
        'Batches of a product in the baseline needed for a regression of kWh on units; fewer → mean kWh per unit.',
      ),
  })
  .prefault({});

export const energySchema = z
  .strictObject({
    gapFactor: z
      .number()
      .min(1)
      .default(3)
      .describe(
        "A gap between two readings longer than gapFactor × the sensor's interval is not bridged; it lowers coverage.",
      ),
    maxGap: duration().optional().describe('Absolute gap limit; overrides gapFactor when set.'),
    lateness: duration()
      .default(10 * 60_000)
      .describe('How late readings may arrive and still count before a figure is settled.'),
    revisionWindow: duration()
      .default(2 * 86_400_000)
      .describe(
        'How long after settling late data may still revise a figure; older data is counted as too late.',
      ),
    sources: z
      .record(z.string(), z.enum(['power', 'counter']))
      .default({})
      .describe(
        'Per machine path (site/line/machine): which meter wins when it has both. Default: power.',
      ),
    tariff: tariffSchema,
    co2: co2Schema,
    enpi: enpiSchema.describe('Energy performance indicator: baseline per product (issue 4).'),
  })
  .prefault({});

export type EnergyConfig = z.output<typeof energySchema>;
export type EnpiConfig = z.output<typeof enpiSchema>;
export type TariffConfig = z.output<typeof tariffSchema>;
