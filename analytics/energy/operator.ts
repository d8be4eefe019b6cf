/**
 * Energy per batch, idle energy, cost and CO2 (issue 4), as an analytics operator on the log.
 *
 * Event time only (DESIGN C4): the watermark is the newest event time seen (meter readings and
 * batch events) minus `energy.lateness`. Each meter keeps the readings newer than its last
 * integrated one in a small reorder buffer and integrates them once they are behind the
 * watermark (meter.ts), into per-minute buckets of kWh and covered time. Everything reported is
 * summed from those buckets (figures.ts), so a reading or a batch event that arrives late just
 * changes the buckets or the batch bounds, and the affected batch and hour records are redone:
 *
 * - a batch is running until the watermark passes its end by the longest span a meter may
 *   bridge; it is then settled (or aborted), and a later change raises its revision count;
 * - an hour is written once the watermark passes its end the same way, and revised likewise;
 * - energy of a machine outside every batch of its line is idle energy;
 * - buckets are kept for `energy.revisionWindow` behind the watermark (and for open batches);
 *   readings older than that are counted as too late and change nothing.
 *
 * Determinism: state changes happen record by record; settling happens at ticks, whenever the
 * watermark enters a new minute. Late changes are published at the next tick or at the end of
 * the step, and counted once per watermark minute in which they arrived, so records, revision
 * counts included, depend on the record sequence only, not on how the runner cut it into steps.
 */
import type { PlantIndex } from '../../config/plant-index.js';
import type { StoredBatchEvent } from '../../ingest/decode-batch-event.js';
import type { Emitter, LogRecord, Operator } from '../operator.js';
import { onBatchSettled } from './enpi-stream.js';
import { batchFigure, publishBatch, publishHours } from './figures.js';
import { advance, MINUTE, newMeter, offer, prune } from './meter.js';
import { buildEnergyModel, siteHour, type EnergyModel } from './model.js';
import { HOUR, type BatchState, type EnergyState, type Pending } from './state.js';
import { ENERGY_SCHEMA, writeEnergy } from './tables.js';

export type { EnergyState } from './state.js';

const BAD_QUALITY = 2;

export function energyOperator(index: PlantIndex): Operator<EnergyState> {
  const model = buildEnergyModel(index);
  const { cfg } = model;
  // A batch or hour is complete once the watermark passes its end by the longest bridgeable span.
  const settleAfter = Math.max(0, ...[...model.meters.values()].map((m) => m.gapMs));

  /** New energy in `minutes` of `meter`: dirty hours, and settled batches it changes. */
  const noteTouched = (state: EnergyState, meter: string, minutes: Set<number>) => {
    if (minutes.size === 0) return;
    const m = model.meters.get(meter)!;
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of minutes) {
      const key = `${m.site}|${siteHour(model.sites.get(m.site)!, x * MINUTE)}`;
      if (!(key in state.dirty)) state.dirty[key] = state.tick;
      lo = Math.min(lo, x * MINUTE);
      hi = Math.max(hi, (x + 1) * MINUTE);
    }
    minutes.clear();
    for (const b of Object.values(state.batches))
      if (b.settled && b.line === m.line && b.dirtyTick === null && lo < b.end! && hi > b.start!)
        b.dirtyTick = state.tick;
  };

  /** Publishes settled batches that changed and complete dirty hours, at the last tick's watermark. */
  const publish = (state: EnergyState, acc: Pending, out: Emitter) => {
    const wm = state.wm!;
    for (const b of sorted(state.batches)) {
      if (b.start === null) continue;
      const due = !b.settled && b.end !== null && wm >= b.end + settleAfter;
      if (!due && !(b.settled && b.dirtyTick !== null)) continue;
      const row = publishBatch(b, state, model, wm, settleAfter, out);
      if (row) acc.batches.set(b.id, row);
      if (row && b.settled) onBatchSettled(b, state, model, out);
    }
    publishHours(state, model, wm, settleAfter, out, acc);
  };

  const tick = (state: EnergyState, wm: number, acc: Pending, out: Emitter) => {
    state.wm = wm;
    state.tick = Math.floor(wm / MINUTE);
    const minutes = new Set<number>();
    for (const m of model.meters.values()) {
      advance(state.meters[m.path]!, m, state.buckets[m.path]!, wm, minutes);
      noteTouched(state, m.path, minutes);
    }
    publish(state, acc, out);
    const horizonHour = Math.floor((wm - cfg.revisionWindow) / HOUR);
    if (state.pruned === null || horizonHour > state.pruned) {
      state.pruned = horizonHour;
      pruneState(state, model, wm - cfg.revisionWindow);
    }
  };

  return {
    name: 'energy',
    // 2: line-level idle_kwh, cost and co2_kg hours and the EnPI baseline series.
    // 3: hourly records start at the site's local hours (half- and quarter-hour zones).
    version: 3,
    schema: ENERGY_SCHEMA,
    init: () => ({
      maxTs: null,
      wm: null,
      tick: null,
      pruned: null,
      meters: Object.fromEntries([...model.meters.values()].map((m) => [m.path, newMeter(m.kind)])),
      buckets: Object.fromEntries([...model.meters.keys()].map((p) => [p, {}])),
      batches: {},
      hours: {},
      dirty: {},
      peaks: {},
    }),
    snapshot: (s) => s,
    restore: (snap) => structuredClone(snap as EnergyState),
    apply(state, records, out, ctx) {
      const acc: Pending = { batches: new Map(), hours: [], days: new Map(), peaks: new Map() };
      const minutes = new Set<number>();
      for (const r of records) {
        const s = ctx.seriesOf(r.series);
        if (!s) continue;
        if (s.kind === 'batch_event') {
          const b = onBatchEvent(state, r);
          if (b) markBatch(state, model, b);
        } else {
          const meter = model.meters.get(s.key);
          if (!meter || r.value === null || r.quality >= BAD_QUALITY) continue;
          state.maxTs = Math.max(state.maxTs ?? r.ts, r.ts);
          const st = state.meters[meter.path]!;
          const buckets = state.buckets[meter.path]!;
          const horizon = state.maxTs - cfg.lateness - cfg.revisionWindow;
          offer(st, meter, buckets, [r.ts, r.value], horizon, minutes);
          // A backlog already behind the watermark is integrated at once, published below.
          if (state.wm !== null) advance(st, meter, buckets, state.wm, minutes);
          noteTouched(state, meter.path, minutes);
        }
        if (state.maxTs === null) continue;
        const wm = state.maxTs - cfg.lateness;
        if (state.tick === null || Math.floor(wm / MINUTE) > state.tick) tick(state, wm, acc, out);
      }
      if (state.wm !== null) {
        publish(state, acc, out);
        // Running figures of open batches (transient: the settled figure replaces them).
        for (const b of sorted(state.batches)) {
          if (b.settled || b.start === null || acc.batches.has(b.id)) continue;
          const row = batchFigure(b, state, model, state.wm, false);
          if (row) acc.batches.set(b.id, row);
        }
      }
      const batches = [...acc.batches.values()];
      const { hours } = acc;
      const days = [...acc.days.values()];
      const peaks = [...acc.peaks.values()];
      if (batches.length || hours.length || peaks.length)
        out.write((db) => writeEnergy(db, batches, hours, days, peaks));
    },
  };
}

function sorted(batches: Record<string, BatchState>): BatchState[] {
  return Object.values(batches).sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

function onBatchEvent(state: EnergyState, r: LogRecord): BatchState | undefined {
  if (!r.body) return undefined;
  const e = JSON.parse(r.body.toString('utf8')) as StoredBatchEvent;
  if (e.event === 'phase') return undefined;
  state.maxTs = Math.max(state.maxTs ?? e.ts, e.ts);
  const id = `${e.line}/${e.batch}`;
  const b = (state.batches[id] ??= {
    id,
    line: e.line,
    batch: e.batch,
    product: null,
    quantity: null,
    unit: null,
    start: null,
    end: null,
    aborted: false,
    settled: false,
    kwh: 0,
    coverage: 0,
    revision: 0,
    dirtyTick: null,
    revTick: null,
  });
  if (e.product !== undefined) b.product = e.product;
  if (e.quantity !== undefined) b.quantity = e.quantity;
  if (e.unit !== undefined) b.unit = e.unit;
  if (e.event === 'start') b.start = e.ts;
  else {
    b.end = e.ts;
    b.aborted = e.event === 'abort';
  }
  return b;
}

/** A batch bound that moves changes the batch/idle split of every hour from there on. */
function markBatch(state: EnergyState, model: EnergyModel, b: BatchState): void {
  if (b.settled && b.dirtyTick === null) b.dirtyTick = state.tick;
  const site = model.sites.get(model.lines.get(b.line)?.site ?? '');
  const from = b.start ?? b.end;
  if (site === undefined || from === null || state.maxTs === null) return;
  for (let h = siteHour(site, from); h <= state.maxTs; h += HOUR) {
    const key = `${site.id}|${h}`;
    if (!(key in state.dirty)) state.dirty[key] = state.tick;
  }
}

function pruneState(state: EnergyState, model: EnergyModel, horizon: number): void {
  let keep = horizon;
  for (const b of Object.values(state.batches)) {
    if (b.settled && b.end !== null && b.end < horizon) delete state.batches[b.id];
    else if (b.start !== null) keep = Math.min(keep, b.start);
  }
  const keepMinute = Math.floor(keep / MINUTE);
  for (const m of model.meters.keys())
    prune(state.meters[m]!, state.buckets[m]!, keepMinute, horizon);
  for (const k of Object.keys(state.hours))
    if (Number(k.slice(k.lastIndexOf('|') + 1)) < horizon) delete state.hours[k];
}
