/**
 * What the MES publishes: for every planned batch a start event (product, quantity), one event
 * per recipe phase, and an end event with the quantity made, or an abort. Lines whose batch topic
 * no client may publish are left out.
 */
import type { PlantIndex } from '../config/plant-index.js';
import { canPublish } from './publishable.js';
import type { LineSchedule } from './schedule.js';
import type { SimMessage } from './stream.js';

/** Every batch event of the run, in time order. */
export function batchEventMessages(schedules: LineSchedule[], index: PlantIndex): SimMessage[] {
  const out: SimMessage[] = [];
  for (const sched of schedules) {
    const line = sched.line;
    if (!canPublish(line.device, index)) continue;
    const msg = (at: number, body: Record<string, unknown>): SimMessage => ({
      type: 'message',
      topic: line.batchTopic,
      device: line.device,
      payload: JSON.stringify({ ts: at, ...body }),
      at,
      readings: 1,
      class: 'batch',
    });
    for (const b of sched.batches) {
      out.push(
        msg(b.start, {
          event: 'start',
          batch: b.batch,
          product: b.product,
          quantity: b.quantity,
          unit: b.unit,
        }),
      );
      for (const p of b.phases)
        out.push(msg(p.start, { event: 'phase', batch: b.batch, phase: p.phase }));
      out.push(
        msg(
          b.end,
          b.aborted
            ? { event: 'abort', batch: b.batch }
            : { event: 'end', batch: b.batch, quantity: b.quantity, unit: b.unit },
        ),
      );
    }
  }
  // Stable sort: at equal times a start precedes its first phase event, lines keep model order.
  return out.sort((a, b) => a.at - b.at);
}
