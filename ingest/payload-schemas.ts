/**
 * The wire formats a device may publish (DESIGN §3), as zod schemas. These are the source of
 * truth for what is accepted and for the error messages; `fast-reading.ts` accepts exactly the
 * same single readings faster (a property test holds the two together).
 */
import { z } from 'zod';

export const timestampSchema = z.union([
  z.number().describe('epoch milliseconds'),
  z.string().describe('RFC 3339 date-time with an offset, e.g. 2026-11-23T14:00:00.000Z'),
]);

/** 0 good, 1 uncertain, 2 bad. */
export const qualitySchema = z.union([
  z.enum(['good', 'uncertain', 'bad']),
  z.literal(0),
  z.literal(1),
  z.literal(2),
]);

export const readingSchema = z.strictObject({
  ts: timestampSchema,
  v: z.number(),
  unit: z.string().optional(),
  q: qualitySchema.optional(),
});

export const readingsSchema = z.union([readingSchema, z.array(readingSchema).min(1).max(10_000)]);

export const waveformSchema = z.strictObject({
  ts: timestampSchema,
  rate: z.number().positive().max(1_000_000).describe('sample rate in Hz'),
  samples: z.array(z.number()).min(8).max(262_144),
  unit: z.string().optional(),
  q: qualitySchema.optional(),
});

export const batchEventSchema = z.strictObject({
  ts: timestampSchema,
  event: z.enum(['start', 'end', 'phase', 'abort']),
  batch: z.string().min(1).max(128),
  product: z.string().min(1).max(128).optional(),
  quantity: z.number().nonnegative().optional(),
  unit: z.string().max(32).optional(),
  phase: z.string().min(1).max(64).optional(),
});

export type ReadingPayload = z.infer<typeof readingSchema>;
export type WaveformPayload = z.infer<typeof waveformSchema>;
export type BatchEventPayload = z.infer<typeof batchEventSchema>;

export const QUALITY_CODE: Record<string, number> = {
  good: 0,
  uncertain: 1,
  bad: 2,
  '0': 0,
  '1': 1,
  '2': 2,
};
