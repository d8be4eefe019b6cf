/**
 * Which log series a rule watches. A series key is `<asset path>` for a raw sensor or
 * `<asset path>:<suffix>` for a derived series (BRIEF-SERIES / analytics/operator.ts); a rule's
 * `signal` matches the series kind or that suffix, so rules work on any derived series an
 * operator writes, including ones added after this code (wear, RUL, ISO zone).
 */
import type { AlertRule } from '../config/alerts-schema.js';
import type { PlantIndex } from '../config/plant-index.js';
import type { SeriesRow } from '../store/series.js';
import { staleLimit, type Cadence } from './cadence.js';

/** Kinds the alert lifecycle itself writes: never inputs of a rule, never part of the watermark. */
export const ALERT_STATE_KIND = 'alert_state';
export const ALERT_ACTION_KIND = 'alert_action';

export function splitKey(key: string): { asset: string; suffix: string | null } {
  const i = key.indexOf(':');
  return i < 0
    ? { asset: key, suffix: null }
    : { asset: key.slice(0, i), suffix: key.slice(i + 1) };
}

/** True when `path` is `prefix` or lies below it at a '/' boundary. */
export function underPrefix(prefix: string, path: string): boolean {
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47);
}

export function inScope(rule: AlertRule, asset: string): boolean {
  return rule.assets === 'all' || rule.assets.some((p) => underPrefix(p, asset));
}

export function signalMatches(rule: AlertRule, series: SeriesRow): boolean {
  if (series.kind === ALERT_STATE_KIND || series.kind === ALERT_ACTION_KIND) return false;
  if (rule.signal === 'sensor') return !series.derived;
  if (series.kind === rule.signal) return true;
  const { suffix } = splitKey(series.key);
  return suffix !== null && suffix === rule.signal;
}

/** Raw sensors a rule covers before any reading arrives (so a sensor silent from the start goes stale). */
export function rawSensorsOf(rule: AlertRule, index: PlantIndex): string[] {
  return index.sensors
    .filter((s) => (rule.signal === 'sensor' || rule.signal === s.kind) && inScope(rule, s.path))
    .map((s) => s.path);
}

/**
 * Milliseconds without a reading after which a series is stale under `rule` (undefined: not a
 * stale rule): its declared interval (a derived series falls back to the sensor it belongs to)
 * and how it has been seen to report (cadence.ts); `grid`: the finest spacing any series has
 * shown, assumed for one that has not shown its own yet.
 */
export function staleAfter(
  rule: AlertRule,
  index: PlantIndex,
  asset: string,
  cadence?: Cadence,
  grid: number | null = null,
): number | undefined {
  return staleLimit(rule, index.sensorByPath.get(asset)?.intervalMs, cadence, grid);
}

/** "G-201 impeller-vibration" for a sensor path, "G-201" for a machine path. */
export function assetLabel(asset: string): string {
  const parts = asset.split('/');
  if (parts.length >= 3) return [parts[2]!.toUpperCase(), ...parts.slice(3)].join(' ');
  return asset;
}
