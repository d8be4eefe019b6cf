/**
 * Fault campaign: ≥ 1,000,000 fuzzed payloads through the real ingest decode and store path
 * (issue 8, contracts C2 and C5), property-based with fast-check.
 *
 * In process, not through MQTT, to keep it fast: the broker's PUBLISH hook does nothing but call
 * `Ingestor.handle` and submit its outcome to the group-commit `LogWriter`, which is what this
 * test does, with the real plant index, the real ingestor and a real SQLite log in a temp dir
 * (durability `normal`: the fsync is not what is under test). Inputs (crash-support/
 * fuzz-payloads.ts) mix valid readings, near misses, byte-mutated JSON, NaN/Infinity tokens,
 * deep nesting, waveform blocks, batch events, random JSON and random bytes, on known and
 * unknown topics. Each fast-check run is a batch of payloads committed together. Properties:
 * - 0 crashes: `handle` never throws and every commit succeeds;
 * - nothing silently dropped: each payload yields stored rows, a dead letter, or both;
 * - every reject is dead-lettered with a catalogue PP_ERR code and a reason, and the dead-letter
 *   table grows by exactly the number of dead letters;
 * - every accepted row is in the log with the value ingest computed (or, for a (series, ts)
 *   seen before, the first value: idempotent writes), and the log holds nothing else.
 * FUZZ_PAYLOADS and FUZZ_SEED override the count and the seed (printed).
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { Ingestor } from '../../ingest/ingestor.js';
import { ERRORS } from '../../runtime/errors.js';
import type { DeadLetterRow, LogRow } from '../../store/log-writer.js';
import { openStore } from '../../store/store.js';
import { testPlant, writePlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';
import { fuzzInputs } from './crash-support/fuzz-payloads.js';

const PAYLOADS = Number(process.env.FUZZ_PAYLOADS ?? 1_000_000);
const BATCH = 1_000;
const SEED = Number(process.env.FUZZ_SEED ?? 0x0f022);

const tmp = tempDir('plantpulse-fuzz-');
afterAll(() => tmp.cleanup());

describe('fuzzed payloads through ingest decode and the store (in process)', () => {
  it(`${PAYLOADS.toLocaleString('en-US')} payloads: 0 crashes, every reject dead-lettered with a PP_ERR code, every accept stored`, () => {
    const config = writePlant(
      tmp.dir,
      testPlant({ machines: 2, overrides: { ingest: { maxPayloadBytes: 4096 } } }),
    );
    const model = loadPlantModel(config);
    const index = buildPlantIndex(model, config);
    const store = openStore({
      dataDir: join(tmp.dir, 'data'),
      durability: 'normal',
      commitMaxRows: 1_000_000, // one commit per batch, on flush()
      rawRetentionMs: model.storage.rawRetention,
      rollupRetentionMs: model.storage.rollupRetention,
    });
    const now = Date.now();
    const ingestor = new Ingestor(
      index,
      store.series,
      {
        maxPayloadBytes: model.ingest.maxPayloadBytes,
        maxFutureSkewMs: model.ingest.maxFutureSkew,
        deadLetterPayloadCap: model.ingest.deadLetterPayloadCap,
      },
      () => now,
    );
    const topics = {
      power: index.sensors.filter((s) => s.kind === 'power').map((s) => s.topic),
      temp: index.sensors.filter((s) => s.kind === 'temperature').map((s) => s.topic),
      waveform: index.sensors.filter((s) => s.kind === 'waveform').map((s) => s.topic),
      batch: index.lines.map((l) => l.batchTopic),
    };
    const valueAt = store.db.prepare<[number, number], { value: number | null }>(
      'SELECT value FROM log WHERE series = ? AND ts = ?',
    );
    const countDeadLetters = store.db.prepare<[], { n: number }>(
      'SELECT COUNT(*) AS n FROM dead_letters',
    );
    const knownCodes = new Set(Object.keys(ERRORS));
    // (series, ts) → first value stored: series ids are small, ts < 2^42, so the key is exact.
    const firstValue = new Map<number, number | null>();
    const key = (r: LogRow) => r.series * 2 ** 42 + r.ts;
    const counts = { payloads: 0, accepted: 0, partial: 0, rejected: 0, rows: 0, repeats: 0 };
    const byCode = new Map<string, number>();

    const started = performance.now();
    fc.assert(
      fc.property(
        fc.array(fuzzInputs(topics, now), { minLength: BATCH, maxLength: BATCH }),
        (inputs) => {
          const rows: LogRow[] = [];
          const deadLetters: DeadLetterRow[] = [];
          for (const { topic, payload } of inputs) {
            let outcome: ReturnType<Ingestor['handle']>;
            try {
              outcome = ingestor.handle(topic, payload, 'fuzz');
            } catch (err) {
              throw new Error(
                `ingest threw ${(err as Error).stack} for topic ${JSON.stringify(topic)} payload ${JSON.stringify(payload.toString('latin1'))}`,
              );
            }
            const dl = outcome.deadLetter;
            const what = () => `${topic} ${JSON.stringify(payload.toString('latin1'))}`;
            if (outcome.rows.length === 0 && !dl) throw new Error(`silently dropped: ${what()}`);
            if (outcome.rejected > 0 !== (dl !== null))
              throw new Error(`rejects without a dead letter (or the reverse): ${what()}`);
            if (dl) {
              if (!knownCodes.has(dl.code) || !dl.code.startsWith('PP_ERR_') || !dl.reason)
                throw new Error(
                  `dead letter without a catalogue code/reason: ${dl.code} ${what()}`,
                );
              if (dl.topic !== topic || dl.payloadSize !== payload.length)
                throw new Error(`dead letter does not describe the payload: ${what()}`);
              for (const c of outcome.rejectCodes) byCode.set(c, (byCode.get(c) ?? 0) + 1);
              deadLetters.push(dl);
            }
            counts.payloads++;
            if (!dl) counts.accepted++;
            else if (outcome.rows.length > 0) counts.partial++;
            else counts.rejected++;
            rows.push(...outcome.rows);
          }
          const dlBefore = countDeadLetters.get()!.n;
          let commitError: Error | null = null;
          store.writer.submit(rows, deadLetters, (err) => (commitError = err));
          store.writer.flush();
          if (commitError) throw commitError;
          if (countDeadLetters.get()!.n !== dlBefore + deadLetters.length)
            throw new Error('the dead-letter table did not grow by the batch dead letters');
          for (const r of rows) {
            const k = key(r);
            const expected = firstValue.has(k) ? firstValue.get(k)! : r.value;
            if (firstValue.has(k)) counts.repeats++;
            else firstValue.set(k, r.value);
            const stored = valueAt.get(r.series, r.ts);
            if (!stored || stored.value !== expected)
              throw new Error(
                `accepted row not stored as ingested: series ${r.series} ts ${r.ts} value ${r.value}, stored ${JSON.stringify(stored)}`,
              );
          }
          counts.rows += rows.length;
        },
      ),
      { numRuns: Math.ceil(PAYLOADS / BATCH), seed: SEED, endOnFailure: true },
    );
    const seconds = (performance.now() - started) / 1000;
    const logRows = store.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM log').get()!.n;
    const dls = countDeadLetters.get()!.n;
    store.close();

    console.log(
      [
        `fuzz figures (seed ${SEED}, in process: real Ingestor + LogWriter + SQLite, no MQTT):`,
        `  payloads: ${counts.payloads.toLocaleString('en-US')} in ${seconds.toFixed(1)} s = ${Math.round(counts.payloads / seconds).toLocaleString('en-US')} payloads/s (generation included)`,
        `  accepted whole: ${counts.accepted}; partly accepted: ${counts.partial}; rejected whole: ${counts.rejected}; crashes: 0`,
        `  rows accepted: ${counts.rows} (${counts.repeats} repeats of a stored (series, ts)); log rows: ${logRows}; dead letters: ${dls}`,
        `  rejects by code: ${[...byCode]
          .sort((a, b) => b[1] - a[1])
          .map(([c, n]) => `${c} ${n}`)
          .join(', ')}`,
      ].join('\n'),
    );
    expect(counts.payloads).toBe(Math.ceil(PAYLOADS / BATCH) * BATCH);
    expect(dls).toBe(counts.partial + counts.rejected);
    expect(logRows, 'the log holds exactly the distinct accepted (series, ts)').toBe(
      firstValue.size,
    );
    // The mix reaches both paths in earnest.
    expect(counts.accepted).toBeGreaterThan(counts.payloads / 10);
    expect(counts.rejected).toBeGreaterThan(counts.payloads / 10);
  }, 180_000);
});
