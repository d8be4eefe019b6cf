/**
 * What the energy operator needs from the plant model, derived once: every meter (power sensor
 * or energy counter) with its gap limit, the meter that wins for each machine, the machines of
 * each line, and each site's tariff in its time zone.
 *
 * Which meter wins when a machine has both: power, unless `energy.sources` says "counter".
 * Power is sampled densely (seconds) and gives the time profile needed to split energy exactly
 * at batch starts/ends and at hour boundaries; a counter register is read once a minute or less,
 * is quantised (0.1 kWh), and its reset/rollover handling must guess what happened inside the
 * span. The counter is still integrated as its own meter (hourly records per meter), so the two
 * can be compared, and a plant whose counters are the billing-grade source can choose them.
 * A machine with only a counter uses the counter.
 */
import { ConfigError } from '../../config/load.js';
import { localHourPhase } from '../../config/local-time.js';
import type { PlantIndex, SensorInfo } from '../../config/plant-index.js';
import type { EnergyConfig } from '../../config/energy-schema.js';
import { Tariff } from './tariff.js';
import type { MeterSpec } from './meter.js';

export interface MeterInfo extends MeterSpec {
  path: string;
  machine: string;
  line: string;
  site: string;
  sensor: SensorInfo;
}

export interface MachineInfo {
  path: string;
  line: string;
  /** Winning meter. */
  meter: string;
  source: 'power' | 'counter';
}

export interface LineModel {
  path: string;
  site: string;
  machines: MachineInfo[];
}

export interface SiteModel {
  id: string;
  tariff: Tariff;
  lines: LineModel[];
  /**
   * Where the site's hourly records start within a UTC hour (ms): its local hours
   * (config/local-time.ts localHourPhase), or 0 — UTC hours — in a zone whose offset minutes
   * change during the year, where `localHours` is false.
   */
  hourPhase: number;
  localHours: boolean;
}

const HOUR_MS = 3_600_000;

/** Start of the site's record hour that holds `t`. */
export function siteHour(site: SiteModel, t: number): number {
  return Math.floor((t - site.hourPhase) / HOUR_MS) * HOUR_MS + site.hourPhase;
}

export interface EnergyModel {
  cfg: EnergyConfig;
  meters: Map<string, MeterInfo>;
  lines: Map<string, LineModel>;
  sites: Map<string, SiteModel>;
}

export function buildEnergyModel(index: PlantIndex): EnergyModel {
  const cfg = index.model.energy;
  const meters = new Map<string, MeterInfo>();
  for (const s of index.sensors) {
    if (s.kind !== 'power' && s.kind !== 'energy') continue;
    meters.set(s.path, {
      path: s.path,
      machine: `${s.site}/${s.line}/${s.machine}`,
      line: `${s.site}/${s.line}`,
      site: s.site,
      sensor: s,
      kind: s.kind === 'power' ? 'power' : 'counter',
      gapMs: cfg.maxGap ?? cfg.gapFactor * s.intervalMs,
      rollover: s.rollover,
    });
  }
  const problems: string[] = [];
  const known = new Set<string>();
  const sites = new Map<string, SiteModel>();
  const lines = new Map<string, LineModel>();
  for (const site of index.model.sites) {
    const phase = localHourPhase(site.timezone);
    const sm: SiteModel = {
      id: site.id,
      tariff: new Tariff(cfg, site.timezone),
      lines: [],
      hourPhase: phase ?? 0,
      localHours: phase !== undefined,
    };
    sites.set(site.id, sm);
    for (const line of site.lines) {
      const lm: LineModel = { path: `${site.id}/${line.id}`, site: site.id, machines: [] };
      for (const m of line.machines) {
        const path = `${lm.path}/${m.id}`;
        known.add(path);
        const mine = [...meters.values()].filter((x) => x.machine === path);
        const power = mine.find((x) => x.kind === 'power');
        const counter = mine.find((x) => x.kind === 'counter');
        const want = cfg.sources[path];
        if (want === 'power' && !power)
          problems.push(`energy.sources["${path}"]: "power" but the machine has no power sensor`);
        if (want === 'counter' && !counter)
          problems.push(
            `energy.sources["${path}"]: "counter" but the machine has no energy counter`,
          );
        const chosen = want === 'counter' ? counter : want === 'power' ? power : (power ?? counter);
        if (chosen)
          lm.machines.push({ path, line: lm.path, meter: chosen.path, source: chosen.kind });
      }
      sm.lines.push(lm);
      lines.set(lm.path, lm);
    }
  }
  for (const p of Object.keys(cfg.sources))
    if (!known.has(p))
      problems.push(
        `energy.sources["${p}"]: no such machine; write a machine path site/line/machine`,
      );
  if (problems.length) throw new ConfigError('<plant model>', problems);
  return { cfg, meters, lines, sites };
}
