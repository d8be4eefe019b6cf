/**
 * Energy meters: a cumulative register that integrates the machine's noise-free power, as a
 * real meter integrates the true current and voltage. One meter may be reset (meter exchange)
 * and one may roll over at its register limit; both are planned, published as they happen,
 * and recorded in the truth so analytics can be checked against them.
 */
import type { SensorInfo } from '../../config/plant-index.js';
import type { PiecewiseLinear } from './piecewise.js';
import { WMS_PER_KWH } from './piecewise.js';

export interface CounterEvent {
  sensor: string;
  kind: 'reset' | 'rollover';
  /** Instant the register went back to (near) zero. */
  at: number;
  /** Register value (kWh) just before. */
  before: number;
}

export class EnergyCounter {
  readonly events: CounterEvent[] = [];

  constructor(
    readonly sensor: SensorInfo,
    private readonly power: PiecewiseLinear,
    private readonly from: number,
    private readonly to: number,
    /** Register value (kWh) at `from`. */
    readonly initialKWh: number,
    private readonly resetAt: number | undefined,
  ) {
    if (resetAt !== undefined)
      this.events.push({
        sensor: sensor.path,
        kind: 'reset',
        at: resetAt,
        before: this.raw(resetAt - 1),
      });
    const rollAt = this.findRollover();
    if (rollAt !== undefined)
      this.events.push({
        sensor: sensor.path,
        kind: 'rollover',
        at: rollAt,
        before: sensor.rollover!,
      });
    this.events.sort((a, b) => a.at - b.at);
  }

  /** Register before the rollover is applied (kWh). */
  private raw(t: number): number {
    if (this.resetAt !== undefined && t >= this.resetAt)
      return this.power.integrate(this.resetAt, t) / WMS_PER_KWH;
    return this.initialKWh + this.power.integrate(this.from, t) / WMS_PER_KWH;
  }

  /** The register (kWh) at t, as the meter shows it. */
  valueAt(t: number): number {
    const r = this.raw(t);
    const roll = this.sensor.rollover;
    return roll !== undefined ? r % roll : r;
  }

  /** First instant (whole ms, by bisection on the exact integral) the register passes its rollover. */
  private findRollover(): number | undefined {
    const roll = this.sensor.rollover;
    if (roll === undefined) return undefined;
    const end = this.resetAt ?? this.to;
    if (this.raw(end - 1) < roll) return undefined;
    let lo = this.from;
    let hi = end - 1;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.raw(mid) >= roll) hi = mid;
      else lo = mid;
    }
    return hi;
  }
}
