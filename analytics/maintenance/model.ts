/**
 * What the maintenance operator watches, derived once from the plant model (not state): per
 * machine its vibration and waveform sensors, the sensor that drives the wear index, where
 * running and shaft speed come from, the ISO zone limits and the wear limit.
 */
import type { BearingGeometry, MaintenanceConfig } from '../../config/maintenance-schema.js';
import { ConfigError } from '../../config/load.js';
import type { PlantIndex, SensorInfo } from '../../config/plant-index.js';
import { zoneLimits, type ZoneLimits } from './iso.js';

/** How the machine's running state is known, most direct first. */
export type RunningSource =
  | { kind: 'state'; sensor: string }
  | { kind: 'power'; sensor: string; onW: number; offW: number; intervalMs: number }
  | { kind: 'vibration'; sensor: string; onMmS: number; offMmS: number; intervalMs: number };

export type WearLimit =
  | { kind: 'absolute'; mmPerS: number; label: string }
  | { kind: 'relative'; factor: number; label: string };

export interface MachinePlan {
  path: string;
  name: string;
  limits: ZoneLimits;
  limit: WearLimit;
  /** Sensor driving the wear index (scalar vibration, or a waveform's velocity). */
  primary: SensorInfo | undefined;
  vibration: SensorInfo[];
  waveforms: SensorInfo[];
  power: SensorInfo | undefined;
  /** Power above which a minute counts as running, for load normalisation (whatever the running source). */
  powerOnW: number | undefined;
  running: RunningSource | undefined;
  bearing: BearingGeometry | undefined;
  shaft: { rpm: number } | { sensor: string } | undefined;
  stateIntervalMs: number;
}

export interface MaintenanceModel {
  cfg: MaintenanceConfig;
  machines: Map<string, MachinePlan>;
  /** Sensor path → machine path, for the sensors the operator reads. */
  bySensor: Map<string, string>;
}

/** Hysteresis on the running threshold: on at 10 % of the power sensor's range, off below 7 %. */
const ON_SHARE = 0.1;
const OFF_SHARE = 0.07;

export function buildMaintenanceModel(index: PlantIndex): MaintenanceModel {
  const cfg = index.model.maintenance;
  const machines = new Map<string, MachinePlan>();
  const bySensor = new Map<string, string>();
  if (!cfg.enabled) return { cfg, machines, bySensor };
  const groups = new Map<string, SensorInfo[]>();
  for (const s of index.sensors) {
    const key = `${s.site}/${s.line}/${s.machine}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [path, sensors] of groups) {
    const mc = sensors[0]!.machineConfig;
    const own = mc.maintenance;
    const vibration = sensors.filter((s) => s.kind === 'vibration');
    const waveforms = sensors.filter((s) => s.kind === 'waveform');
    const power = sensors.find((s) => s.kind === 'power');
    const state = sensors.find((s) => s.kind === 'state');
    // Bad settings fail at start, naming the machine, the key and the fix (DESIGN C5).
    const bad = (msg: string) => new ConfigError('<plant model>', [`machine ${path}: ${msg}`]);
    const ids = sensors.map((x) => x.sensor).join(', ');
    const byId = (id: string, what: string) => {
      const s = sensors.find((x) => x.sensor === id);
      if (!s) throw bad(`maintenance.${what} "${id}" is not a sensor of this machine (${ids})`);
      return s;
    };
    let primary = own?.sensor ? byId(own.sensor, 'sensor') : (vibration[0] ?? waveforms[0]);
    if (primary && primary.kind !== 'vibration' && primary.kind !== 'waveform')
      throw bad(
        `maintenance.sensor "${primary.sensor}" is a ${primary.kind} sensor; name a vibration or waveform sensor`,
      );
    if (own?.shaftSpeed && 'sensor' in own.shaftSpeed) {
      const s = byId(own.shaftSpeed.sensor, 'shaftSpeed.sensor');
      if (s.kind !== 'speed')
        throw bad(
          `maintenance.shaftSpeed.sensor "${s.sensor}" is a ${s.kind} sensor; name a speed sensor (rpm)`,
        );
    }
    let running: RunningSource | undefined;
    const onW = own?.runningPowerW ?? (power?.range ? ON_SHARE * power.range[1] : undefined);
    if (state) running = { kind: 'state', sensor: state.path };
    else if (power && onW !== undefined)
      running = {
        kind: 'power',
        sensor: power.path,
        onW,
        offW: (onW * OFF_SHARE) / ON_SHARE,
        intervalMs: power.intervalMs,
      };
    else if (vibration[0])
      // Without power or state: a running rotating machine vibrates well above the floor of a stopped one.
      running = {
        kind: 'vibration',
        sensor: vibration[0].path,
        onMmS: 0.5,
        offMmS: 0.35,
        intervalMs: vibration[0].intervalMs,
      };
    if (!primary && !running) continue;
    const limits = zoneLimits(mc);
    const lim = own?.limit;
    const limit: WearLimit =
      lim && 'baselineFactor' in lim
        ? { kind: 'relative', factor: lim.baselineFactor, label: `${lim.baselineFactor}× baseline` }
        : lim
          ? { kind: 'absolute', mmPerS: lim.mmPerS, label: `the ${lim.mmPerS} mm/s limit` }
          : { kind: 'absolute', mmPerS: limits.cd, label: 'zone D' };
    primary ??= undefined;
    const plan: MachinePlan = {
      path,
      name: mc.name ?? mc.id,
      limits,
      limit,
      primary,
      vibration,
      waveforms,
      power,
      powerOnW: power ? onW : undefined,
      running,
      bearing: own?.bearing,
      shaft: own?.shaftSpeed,
      stateIntervalMs: state?.intervalMs ?? 60_000,
    };
    machines.set(path, plan);
    const watched = [...vibration, ...waveforms, power, state];
    if (own?.shaftSpeed && 'sensor' in own.shaftSpeed)
      watched.push(byId(own.shaftSpeed.sensor, ''));
    for (const s of watched) if (s) bySensor.set(s.path, path);
  }
  return { cfg, machines, bySensor };
}
