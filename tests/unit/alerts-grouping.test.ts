/**
 * Alert grouping and observed cadence through the real runner and a real SQLite store (test
 * plant: gateway gw1 publishes t/l1 — m1 and m2, each with power every 1 s and temp every 5 s;
 * gw2 publishes t/l2/x1/power every 1 s):
 *
 * - groupBy device: a gateway outage is one alert naming the gateway and its sensors (the same
 *   data per sensor gives one per sensor), resolved when it is back;
 * - a sensor silent while its gateway reports gets its own alert, and a later outage of the
 *   whole gateway still raises the gateway's alert beside it;
 * - groupBy machine on a flag: one alert while any member holds, resolved when all clear;
 * - stale limits follow how series really report: a gateway down-sampling to one reading a
 *   minute, flushing each sensor's last minute as one message, a device clock 90 s behind;
 * - a human ack reaches a group alert; a restart in the middle equals one run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recordAction, type AlertRow } from '../../alerts/actions.js';
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

const stale = { type: 'stale', intervals: 30 } as const;
const index = alertPlant({
  rules: [
    { id: 'per-gateway', signal: 'sensor', condition: stale, groupBy: 'device' },
    { id: 'per-sensor', signal: 'sensor', condition: stale },
    {
      id: 'machine-flag',
      signal: 'anomaly_flag',
      condition: { type: 'flag' },
      groupBy: 'machine',
    },
  ],
});

let dirs: ReturnType<typeof tempDir>[] = [];
afterEach(() => {
  for (const d of dirs) d.cleanup();
  dirs = [];
});
const open = () => openTempStore(dirs);
const ofRule = (s: Store, rule: string) => alerts(s).filter((a) => a.rule === rule);
const MIN = 60_000;

type Stream = { key: string; kind: string; points: [number, number][] };
/** The plant's four t/l1 sensors and x1 between `from` and `to` (ms after T0), minus `skip`. */
function plant(from: number, to: number, only: 'all' | 'gw1' | 'gw2' = 'all', skip = ''): Stream[] {
  const s: Stream[] = [];
  const add = (key: string, kind: string, step: number) => {
    if (key === skip) return;
    const n = Math.ceil((to - from) / step);
    s.push({ key, kind, points: series(T0 + from, step, n, (i) => 40 + (i % 7)) });
  };
  if (only !== 'gw2') {
    for (const m of ['m1', 'm2']) {
      add(`t/l1/${m}/power`, 'power', 1_000);
      add(`t/l1/${m}/temp`, 'temperature', 5_000);
    }
  }
  if (only !== 'gw1') add('t/l2/x1/power', 'power', 1_000);
  return s;
}

describe('groupBy device on a stale rule', () => {
  it('a gateway outage is one alert naming the gateway and its sensors, not one per sensor', () => {
    const s = open();
    writeInOrder(s, [
      ...plant(0, 10 * MIN),
      ...plant(10 * MIN, 30 * MIN, 'gw2'), // gw1 offline 20 minutes, gw2 goes on
      ...plant(30 * MIN, 40 * MIN),
    ]);
    runner(s, index).catchUp();
    const group = ofRule(s, 'per-gateway');
    const perSensor = ofRule(s, 'per-sensor');
    console.log(
      `gateway outage: ${perSensor.length} alerts one per sensor, ${group.length} with groupBy device`,
    );
    expect(perSensor.map((a) => a.asset).sort()).toEqual([
      't/l1/m1/power',
      't/l1/m1/temp',
      't/l1/m2/power',
      't/l1/m2/temp',
    ]);
    expect(group).toHaveLength(1);
    const a = group[0]!;
    expect(a.asset).toBe('t/l1'); // the common path of what gw1 publishes: API filters find it
    const last = T0 + 10 * MIN - 1_000;
    expect(a.opened_at).toBe(last + 30_000); // 30 × 1 s: the fastest sensor's limit
    expect(a.message).toBe(
      `gw1: silent, 4 sensors without a reading since ${new Date(last).toISOString()}: m1/power, m1/temp, m2/power, m2/temp`,
    );
    expect(history(s, a.id).map((h) => [h.transition, h.at - T0])).toEqual([
      ['open', 10 * MIN - 1_000 + 30_000],
      ['resolved', 30 * MIN],
    ]);
    // Its state row is keyed by the group's path, like any alert.
    const rows = s.db
      .prepare(
        `SELECT count(*) AS n FROM log l JOIN series x ON x.id = l.series WHERE x.key = 't/l1:alert:per-gateway'`,
      )
      .get() as { n: number };
    expect(rows.n).toBe(2);
  });

  it('a gateway flushing its backlog when back resolves the alert then, without re-opening it', () => {
    const s = open();
    writeInOrder(s, [...plant(0, 10 * MIN), ...plant(10 * MIN, 30 * MIN, 'gw2')]);
    // Back at 30 min: the 20 buffered minutes arrive first (stamped in the past), then live data.
    for (const st of plant(10 * MIN, 30 * MIN, 'gw1')) write(s, st.key, st.kind, st.points);
    writeInOrder(s, plant(30 * MIN, 40 * MIN));
    runner(s, index).catchUp();
    const group = ofRule(s, 'per-gateway');
    expect(group).toHaveLength(1);
    expect(history(s, group[0]!.id).map((h) => [h.transition, h.at - T0])).toEqual([
      ['open', 10 * MIN - 1_000 + 30_000],
      ['resolved', 30 * MIN - 1_000], // when the backlog was read, at the watermark
    ]);
  });

  it('a sensor silent on a live gateway gets its own alert; the gateway outage after it still pages', () => {
    const s = open();
    writeInOrder(s, [
      ...plant(0, 10 * MIN),
      ...plant(10 * MIN, 20 * MIN, 'all', 't/l1/m2/temp'), // m2 temp dies at 10 min
      ...plant(20 * MIN, 30 * MIN, 'gw2'), // then gw1 drops off
      ...plant(30 * MIN, 40 * MIN, 'all', 't/l1/m2/temp'), // gw1 back, m2 temp still dead
    ]);
    runner(s, index).catchUp();
    const group = ofRule(s, 'per-gateway');
    expect(group.map((a) => [a.asset, a.state])).toEqual([
      ['t/l1/m2/temp', 'open'],
      ['t/l1', 'resolved'],
    ]);
    const [dead, outage] = group;
    const lastTemp = T0 + 10 * MIN - 5_000;
    // 30 × 5 s after its last reading, seen as soon as the gateway reports past that.
    expect(dead!.opened_at).toBe(lastTemp + 150_000);
    expect(dead!.message).toBe(`M2 temp: no reading since ${new Date(lastTemp).toISOString()}`);
    expect(outage!.opened_at).toBe(T0 + 20 * MIN - 1_000 + 30_000);
    expect(outage!.message).toMatch(
      /^gw1: silent, 3 sensors without a reading since .*: m1\/power, m1\/temp, m2\/power \(1 more already reported silent\)$/,
    );
    expect(history(s, outage!.id).map((h) => h.transition)).toEqual(['open', 'resolved']);
  });

  it('a restart in the middle gives the same alerts, history and outbox as one run', () => {
    const streams = [
      ...plant(0, 10 * MIN),
      ...plant(10 * MIN, 20 * MIN, 'all', 't/l1/m2/temp'),
      ...plant(20 * MIN, 30 * MIN, 'gw2'),
      ...plant(30 * MIN, 40 * MIN, 'all', 't/l1/m2/temp'),
    ];
    const whole = open();
    writeInOrder(whole, streams);
    runner(whole, index).catchUp();

    const split = open();
    const cut = T0 + 22 * MIN;
    const part = (keep: (ts: number) => boolean) =>
      streams.map((st) => ({ ...st, points: st.points.filter(([ts]) => keep(ts)) }));
    writeInOrder(
      split,
      part((ts) => ts < cut),
    );
    const first = runner(split, index, 997);
    first.catchUp();
    first.checkpointAll();
    writeInOrder(
      split,
      part((ts) => ts >= cut),
    );
    runner(split, index, 613).catchUp();

    const dump = (s: Store) => ({
      alerts: alerts(s),
      history: alerts(s).map((a) => history(s, a.id)),
      outbox: outbox(s),
    });
    expect(dump(split)).toEqual(dump(whole));
  });

  it('a human ack reaches the group alert through the log', () => {
    const s = open();
    writeInOrder(s, [...plant(0, 10 * MIN), ...plant(10 * MIN, 20 * MIN, 'gw2')]);
    runner(s, index).catchUp();
    const row = s.db.prepare("SELECT * FROM alerts WHERE rule = 'per-gateway'").get() as AlertRow;
    expect(row.state).toBe('open');
    recordAction(s, row, 'ack', 'night-shift lead', 'gateway power supply, on my way', T0);
    runner(s, index).catchUp();
    expect(history(s, row.id).map((h) => [h.transition, h.by])).toEqual([
      ['open', 'system'],
      ['acknowledged', 'night-shift lead'],
    ]);
  });
});

describe('a replay from the start of the log (new operator version)', () => {
  it('closes the alerts the rules no longer raise and rewrites the ones they do', () => {
    const s = open();
    writeInOrder(s, [...plant(0, 10 * MIN), ...plant(10 * MIN, 20 * MIN, 'gw2')]);
    const rule = { id: 'silent', signal: 'sensor', condition: stale } as const;
    const states = () =>
      alerts(s)
        .map((a) => `${a.asset} ${a.state}`)
        .sort();
    runner(s, alertPlant({ rules: [rule] })).catchUp();
    expect(states()).toEqual([
      't/l1/m1/power open',
      't/l1/m1/temp open',
      't/l1/m2/power open',
      't/l1/m2/temp open',
    ]);
    // The rule now groups by device, and the operator replays the log from its first record.
    s.db.prepare("DELETE FROM operator_checkpoints WHERE name = 'alerts'").run();
    runner(s, alertPlant({ rules: [{ ...rule, groupBy: 'device' }] })).catchUp();
    expect(states()).toEqual([
      't/l1 open',
      't/l1/m1/power closed',
      't/l1/m1/temp closed',
      't/l1/m2/power closed',
      't/l1/m2/temp closed',
    ]);
    // Replayed again with the same rules: the same alert (same id), open again.
    const before = alerts(s);
    s.db.prepare("DELETE FROM operator_checkpoints WHERE name = 'alerts'").run();
    runner(s, alertPlant({ rules: [{ ...rule, groupBy: 'device' }] })).catchUp();
    expect(alerts(s)).toEqual(before);
  });
});

describe('groupBy machine on a flag', () => {
  it('one alert while any of the machine series holds, resolved when all have cleared', () => {
    const s = open();
    const flag = (key: string, points: [number, number][]) => ({
      key,
      kind: 'anomaly_flag',
      derived: true,
      points,
    });
    writeInOrder(s, [
      ...plant(0, 20 * MIN, 'gw2'),
      flag('t/l1/m1/power:anomaly_flag', [
        [T0 + MIN, 1],
        [T0 + 5 * MIN, 0],
      ]),
      flag('t/l1/m1/temp:anomaly_flag', [
        [T0 + 2 * MIN, 1],
        [T0 + 8 * MIN, 0],
      ]),
      flag('t/l1/m2/temp:anomaly_flag', [[T0 + 3 * MIN, 0]]),
    ]);
    runner(s, index).catchUp();
    const a = ofRule(s, 'machine-flag');
    expect(a.map((x) => [x.asset, x.message])).toEqual([
      ['t/l1/m1', 'M1: 1 of 1 series — M1 power: anomaly_flag on'],
    ]);
    expect(history(s, a[0]!.id).map((h) => [h.transition, h.at - T0])).toEqual([
      ['open', MIN],
      ['resolved', 8 * MIN], // not at 5 min: m1 temp still flagged
    ]);
  });
});

describe('stale limits follow how series really report', () => {
  it('a gateway that down-samples to one reading a minute raises nothing until a sensor really stops', () => {
    const s = open();
    // Declared 1 s and 5 s; the gateway sends one reading a minute of each, for two hours.
    const coarse = (key: string, kind: string, n: number) => ({
      key,
      kind,
      points: series(T0, MIN, n, () => 40),
    });
    writeInOrder(s, [
      coarse('t/l1/m1/power', 'power', 120),
      coarse('t/l1/m1/temp', 'temperature', 60), // stops after one hour
      coarse('t/l2/x1/power', 'power', 120),
    ]);
    runner(s, index).catchUp();
    const perSensor = ofRule(s, 'per-sensor');
    expect(perSensor.map((a) => [a.asset, a.opened_at - T0])).toEqual([
      ['t/l1/m1/temp', 59 * MIN + 30 * MIN], // 30 × its real spacing, not 30 × 5 s
    ]);
    expect(ofRule(s, 'per-gateway').map((a) => a.asset)).toEqual(['t/l1/m1/temp']);
  });

  it('a gateway flushing each sensor’s last minute as one message, and a clock 90 s behind, raise nothing', () => {
    const s = open();
    for (let w = 0; w < 30; w++) {
      // Series by series, as the gateway sends them: each series' minute runs ahead of the next.
      for (const key of ['t/l1/m1/power', 't/l1/m2/power'])
        write(
          s,
          key,
          'power',
          series(T0 + w * MIN, 1_000, 60, () => 5),
        );
      for (const key of ['t/l1/m1/temp', 't/l1/m2/temp'])
        write(
          s,
          key,
          'temperature',
          series(T0 + w * MIN, 5_000, 12, () => 40),
        );
      // gw2's clock runs 90 s behind: its readings arrive stamped 90 s in the past.
      write(
        s,
        't/l2/x1/power',
        'power',
        series(T0 + w * MIN - 90_000, 1_000, 60, () => 5),
      );
    }
    runner(s, index).catchUp();
    expect(alerts(s)).toEqual([]);
  });
});
