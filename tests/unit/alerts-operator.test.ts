/**
 * The alert operator through the real runner and a real SQLite store: a flapping signal gives
 * one alert (hysteresis, minimum duration, reopen window), escalation when unacknowledged,
 * stale / flatline / sustained anomaly flag / SPC conditions on event time, and a restart in
 * the middle gives exactly the alerts, history and outbox of an uninterrupted run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../store/store.js';
import type { tempDir } from '../helpers/tmp.js';
import {
  alertPlant,
  alerts,
  history,
  openTempStore,
  outbox,
  runner,
  series,
  T0,
  write,
  writeInOrder,
} from './alerts-support.js';

const index = alertPlant({
  rules: [
    {
      id: 'hot',
      signal: 'temperature',
      assets: ['t/l1'],
      condition: { type: 'above', threshold: 80, clear: 75 },
      for: '30s',
      severity: 'warning',
      escalate: [{ after: '10m', severity: 'critical', channels: ['oncall'] }],
      channels: ['hook', 'pager'],
    },
    {
      id: 'silent',
      signal: 'sensor',
      assets: ['t/l1/m1/power'],
      condition: { type: 'stale', after: '1m', fromStart: true },
      severity: 'critical',
      channels: ['hook'],
    },
    {
      id: 'quiet',
      signal: 'sensor',
      assets: ['t/l1/m2/power'],
      condition: { type: 'stale', intervals: 60 }, // 60 × 1 s, only once the sensor has spoken
    },
    {
      id: 'stuck',
      signal: 'power',
      assets: ['t/l1/m2'],
      condition: { type: 'flatline', after: '5m', tolerance: 0.001 },
    },
    { id: 'anomalous', signal: 'anomaly_flag', condition: { type: 'flag' }, for: '2m' },
    {
      id: 'spc',
      signal: 'spc_violation',
      condition: { type: 'spc', rules: [1], quiet: '10m' },
      severity: 'critical',
    },
  ],
  channels: [
    { id: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/hook' },
    { id: 'oncall', type: 'webhook', url: 'http://127.0.0.1:9/oncall', format: 'slack' },
    { id: 'pager', type: 'webhook', url: 'http://127.0.0.1:9/pager', minSeverity: 'critical' },
  ],
});

let dirs: ReturnType<typeof tempDir>[] = [];
afterEach(() => {
  for (const d of dirs) d.cleanup();
  dirs = [];
});
const open = () => openTempStore(dirs);
const ofRule = (s: Store, rule: string) => alerts(s).filter((a) => a.rule === rule);

/** 79/81 around the 80 threshold every reading, 1 min at 70 (clear), then flapping again. */
const flapping = series(T0, 5_000, 240, (i) => (i >= 60 && i < 72 ? 70 : i % 2 ? 81 : 79));

describe('alert operator', () => {
  it('a flapping signal gives one alert, not one per crossing', () => {
    const s = open();
    write(s, 't/l1/m1/temp', 'temperature', flapping);
    runner(s, index).catchUp();
    const crossings = flapping.filter(
      ([, v], i) => i > 0 && v >= 80 !== flapping[i - 1]![1] >= 80,
    ).length;
    expect(crossings).toBeGreaterThan(200);
    const hot = ofRule(s, 'hot');
    expect(hot).toHaveLength(1);
    expect(hot[0]!.reopens).toBe(1);
    const h = history(s, hot[0]!.id);
    expect(h.map((x) => x.transition)).toEqual(['open', 'resolved', 'reopen', 'escalate']);
    // Opened after the 30 s minimum duration (first 81 at +5 s), not at the first crossing.
    expect(h[0]!.at).toBe(T0 + 35_000);
    expect(h[3]!.severity).toBe('critical');
    // One outbox row per notified transition and channel; the escalation also reaches on-call.
    const rows = outbox(s).filter((r) => r.key.startsWith(hot[0]!.id));
    expect(rows.map((r) => `${r.transition}>${r.channel}`)).toEqual([
      'open>hook',
      'resolved>hook',
      'reopen>hook',
      'escalate>hook',
      'escalate>oncall',
      'escalate>pager', // minSeverity critical: only once escalated to critical
    ]);
    // Every transition is also an alert_state derived row in the log.
    const states = s.db
      .prepare(
        `SELECT l.value FROM log l JOIN series x ON x.id = l.series WHERE x.key = 't/l1/m1/temp:alert:hot' ORDER BY l.ts`,
      )
      .all() as { value: number }[];
    expect(states.map((r) => r.value)).toEqual([1, 0, 1, 1]);
  });

  it('a crossing shorter than the minimum duration opens nothing', () => {
    const s = open();
    write(
      s,
      't/l1/m1/temp',
      'temperature',
      series(T0, 5_000, 60, (i) => (i >= 10 && i < 13 ? 90 : 70)),
    );
    runner(s, index).catchUp();
    expect(ofRule(s, 'hot')).toEqual([]);
  });

  it('a restart in the middle gives the same alerts, history and outbox as one run', () => {
    const whole = open();
    write(whole, 't/l1/m1/temp', 'temperature', flapping);
    runner(whole, index).catchUp();

    const split = open();
    write(split, 't/l1/m1/temp', 'temperature', flapping.slice(0, 100));
    const first = runner(split, index, 37);
    first.catchUp();
    first.checkpointAll();
    write(split, 't/l1/m1/temp', 'temperature', flapping.slice(100));
    runner(split, index, 53).catchUp();

    const dump = (s: Store) => ({
      alerts: alerts(s),
      history: alerts(s).map((a) => history(s, a.id)),
      outbox: outbox(s),
    });
    expect(dump(split)).toEqual(dump(whole));
  });

  it('a sensor that stops reporting opens a stale alert on the event-time watermark', () => {
    const s = open();
    write(
      s,
      't/l1/m1/power',
      'power',
      series(T0, 1_000, 60, () => 1000),
    );
    // Another sensor keeps speaking: its readings move the watermark on.
    write(
      s,
      't/l1/m2/temp',
      'temperature',
      series(T0, 5_000, 60, () => 40),
    );
    runner(s, index).catchUp();
    let silent = ofRule(s, 'silent');
    expect(silent).toHaveLength(1);
    expect(silent[0]!.asset).toBe('t/l1/m1/power');
    const opened = silent[0]!.opened_at;
    const last = T0 + 59_000;
    expect(opened - last).toBeGreaterThanOrEqual(60_000);
    expect(opened - last).toBeLessThanOrEqual(65_000); // the next watermark step (5 s readings)
    expect(silent[0]!.message).toContain('no reading since 2026-03-02T08:00:59.000Z');

    write(s, 't/l1/m1/power', 'power', [[T0 + 300_000, 900]]);
    runner(s, index).catchUp();
    silent = ofRule(s, 'silent');
    expect(silent[0]!.state).toBe('resolved');
  });

  it('a sensor silent from the start is stale only for a rule with fromStart', () => {
    const s = open();
    write(
      s,
      't/l1/m2/temp',
      'temperature',
      series(T0, 5_000, 60, () => 40),
    );
    runner(s, index).catchUp();
    expect(ofRule(s, 'silent').map((a) => [a.asset, a.opened_at - T0])).toEqual([
      ['t/l1/m1/power', 60_000],
    ]);
    expect(ofRule(s, 'quiet')).toEqual([]);
    // Once it has spoken and stops, the other rule sees it too (60 intervals of 1 s).
    write(s, 't/l1/m2/power', 'power', [[T0 + 300_000, 500]]);
    write(
      s,
      't/l1/m2/temp',
      'temperature',
      series(T0 + 300_000, 5_000, 20, () => 40),
    );
    runner(s, index).catchUp();
    expect(ofRule(s, 'quiet').map((a) => a.opened_at - T0)).toEqual([360_000]);
  });

  it('a flatlined sensor opens after the duration and resolves when it moves', () => {
    const s = open();
    write(
      s,
      't/l1/m2/power',
      'power',
      series(T0, 1_000, 400, (i) => (i < 360 ? 1234 : 1234 + i)),
    );
    runner(s, index).catchUp();
    const stuck = ofRule(s, 'stuck');
    expect(stuck).toHaveLength(1);
    expect(history(s, stuck[0]!.id).map((h) => [h.transition, h.at - T0])).toEqual([
      ['open', 300_000],
      ['resolved', 360_000],
    ]);
  });

  it('a sustained anomaly flag and an SPC violation of a selected rule open alerts', () => {
    const s = open();
    // In log order, as the anomaly operator would write them between the readings.
    writeInOrder(s, [
      { key: 't/l1/m2/temp', kind: 'temperature', points: series(T0, 5_000, 240, () => 40) },
      {
        key: 't/l1/m1/temp:anomaly_flag',
        kind: 'anomaly_flag',
        derived: true,
        points: [
          [T0 + 10_000, 1],
          [T0 + 60_000, 0], // on for 50 s only: below the 2 min minimum
          [T0 + 120_000, 1],
          [T0 + 360_000, 0],
        ],
      },
      {
        key: 't/l1/m1/temp:spc',
        kind: 'spc_violation',
        derived: true,
        points: [
          [T0 + 10_000, 2], // rule 2 is not selected
          [T0 + 20_000, 1],
        ],
      },
    ]);
    runner(s, index).catchUp();
    const flag = ofRule(s, 'anomalous');
    expect(flag).toHaveLength(1);
    expect(history(s, flag[0]!.id).map((h) => [h.transition, h.at - T0])).toEqual([
      ['open', 240_000],
      ['resolved', 360_000],
    ]);
    const spc = ofRule(s, 'spc');
    expect(spc).toHaveLength(1);
    expect(spc[0]!.message).toBe('M1 temp: SPC rule 1 violated');
    expect(history(s, spc[0]!.id).map((h) => [h.transition, h.at - T0])).toEqual([
      ['open', 20_000],
      ['resolved', 620_000],
    ]);
  });
});

describe('alert messages', () => {
  it('read like a maintenance lead speaks: machine tag, sensor, ISO zone letter', () => {
    const zones = alertPlant({
      rules: [{ id: 'zone-c', signal: 'iso_zone', condition: { type: 'above', threshold: 3 } }],
    });
    const s = open();
    write(
      s,
      't/l1/m1/vib:iso_zone',
      'iso_zone',
      [
        [T0, 2],
        [T0 + 60_000, 3],
      ],
      true,
    );
    runner(s, zones).catchUp();
    expect(alerts(s).map((a) => a.message)).toEqual(['M1 vib: ISO 10816 zone C (limit ≥ C)']);
  });

  it('carry the RUL confidence interval from the derived row body', () => {
    const rul = alertPlant({
      rules: [{ id: 'rul-short', signal: 'rul_days', condition: { type: 'below', threshold: 14 } }],
    });
    const s = open();
    const id = s.series.ensure('t/l1/m1:rul_days', 'rul_days', 'd', true);
    const body = Buffer.from(
      JSON.stringify({ low: 8, high: 17, model: 'linear', limit: 'zone D' }),
    );
    s.writer.submit([{ series: id, ts: T0, value: 12, quality: 0, body }], [], (err) => {
      if (err) throw err;
    });
    s.writer.flush();
    runner(s, rul).catchUp();
    expect(alerts(s).map((a) => [a.asset, a.message])).toEqual([
      ['t/l1/m1', 'M1: rul_days 12 (8–17) ≤ 14'],
    ]);
  });
});
