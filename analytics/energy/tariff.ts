/**
 * Prices and CO2 factors in the site's local time: time-of-use periods by weekday and hour, a
 * holiday list (a holiday is billed as "holiday", not as its weekday), and a CO2 factor that is
 * either constant or given per local hour. Lookups are cached per 15-minute slot, the finest
 * step at which a UTC offset can change.
 */
import { WEEKDAYS, type EnergyConfig, type Weekday } from '../../config/energy-schema.js';
import { localParts } from '../../config/local-time.js';

export interface LocalTime {
  /** Local calendar date, YYYY-MM-DD. */
  day: string;
  /** Local month, YYYY-MM. */
  month: string;
  hour: number;
  weekday: Weekday;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function localTime(ts: number, tz: string): LocalTime {
  const p = localParts(ts, tz);
  return {
    day: `${p.y}-${pad(p.m)}-${pad(p.d)}`,
    month: `${p.y}-${pad(p.m)}`,
    hour: p.h,
    weekday: p.weekday,
  };
}

export interface Rate {
  /** Currency per kWh. */
  price: number;
  /** kg CO2 per kWh. */
  co2: number;
  period: string;
  local: LocalTime;
}

const SLOT = 900_000;

export class Tariff {
  private readonly holidays: Set<string>;
  private readonly cache = new Map<number, Rate>();

  constructor(
    private readonly cfg: EnergyConfig,
    readonly timezone: string,
  ) {
    this.holidays = new Set(cfg.tariff.holidays);
  }

  get currency(): string {
    return this.cfg.tariff.currency;
  }

  /** Price and CO2 factor in force at `ts`. */
  at(ts: number): Rate {
    const slot = Math.floor(ts / SLOT);
    let r = this.cache.get(slot);
    if (r) return r;
    if (this.cache.size > 50_000) this.cache.clear();
    const local = localTime(slot * SLOT, this.timezone);
    const dayKind: Weekday | 'holiday' = this.holidays.has(local.day) ? 'holiday' : local.weekday;
    const t = this.cfg.tariff;
    const p = t.periods.find(
      (x) => x.days.includes(dayKind) && local.hour >= x.from && local.hour < x.to,
    );
    const co2 = 'factor' in this.cfg.co2 ? this.cfg.co2.factor : this.cfg.co2.hourly[local.hour]!;
    r = { price: p ? p.price : t.basePrice, co2, period: p ? p.name : 'base', local };
    this.cache.set(slot, r);
    return r;
  }
}

export { WEEKDAYS };
