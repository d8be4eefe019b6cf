/**
 * The alerts API with the real app, store and operator: list and filter, detail with history,
 * ack (stops escalation) and resolve through the log with audit entries in the same
 * transaction, 404/409/400 with their codes.
 */
import type { InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { createLogger } from '../../runtime/logger.js';
import { createMetrics } from '../../runtime/metrics.js';
import type { Store } from '../../store/store.js';
import { issueTestToken } from '../helpers/api-auth.js';
import type { tempDir } from '../helpers/tmp.js';
import { alertPlant, history, openTempStore, runner, series, T0, write } from './alerts-support.js';

const index = alertPlant({
  rules: [
    {
      id: 'hot',
      signal: 'temperature',
      condition: { type: 'above', threshold: 80, clear: 75 },
      escalate: [{ after: '10m', severity: 'critical' }],
    },
  ],
});

let dirs: ReturnType<typeof tempDir>[] = [];
afterEach(() => {
  for (const d of dirs) d.cleanup();
  dirs = [];
});

async function setup() {
  const store: Store = openTempStore(dirs);
  const app = await buildApp({
    index,
    store,
    metrics: createMetrics(),
    log: createLogger({ level: 'silent' }),
    dataDir: '.',
    readiness: () => ({}),
    startedAt: 0,
  });
  // The shift's shared maintenance token; `by` names the person acting.
  const auth = issueTestToken(store, 'maintenance', 'shift-b');
  const inject = (o: InjectOptions) =>
    app.inject({ ...o, headers: { ...auth.headers, ...o.headers } });
  return { store, app: { inject, close: () => app.close() }, run: runner(store, index) };
}

const hot = (from: number, n: number, v = 85) => series(from, 5_000, n, () => v);

describe('alerts API', () => {
  it('lists, filters and shows alerts; ack stops escalation; resolve; both audited', async () => {
    const { store, app, run } = await setup();
    write(store, 't/l1/m1/temp', 'temperature', hot(T0, 60)); // 5 min above
    write(store, 't/l1/m2/temp', 'temperature', hot(T0, 10, 40));
    run.catchUp();

    const list = await app.inject({ url: '/api/v1/alerts?state=open&asset=t/l1/m1' });
    expect(list.statusCode).toBe(200);
    const alerts = list.json<{ alerts: { id: string; asset: string; severity: string }[] }>()
      .alerts;
    expect(alerts.map((a) => a.asset)).toEqual(['t/l1/m1/temp']);
    const id = alerts[0]!.id;
    expect((await app.inject({ url: '/api/v1/alerts?asset=t/l2' })).json()).toEqual({ alerts: [] });
    // A prefix at '/' boundaries, not a LIKE pattern.
    expect((await app.inject({ url: '/api/v1/alerts?asset=t/l1/m_' })).json()).toEqual({
      alerts: [],
    });
    expect((await app.inject({ url: '/api/v1/alerts?severity=critical' })).json()).toEqual({
      alerts: [],
    });

    const ack = await app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${id}/ack`,
      payload: { by: 'anna.meier', note: 'bearing inspection booked for Tuesday' },
    });
    expect(ack.statusCode).toBe(202);
    run.catchUp();
    // Ten more minutes above the threshold: no escalation, the alert was acknowledged.
    write(store, 't/l1/m1/temp', 'temperature', hot(T0 + 300_000, 120));
    run.catchUp();

    const detail = (await app.inject({ url: `/api/v1/alerts/${id}` })).json<{
      state: string;
      severity: string;
      acknowledged: { by: string; note: string };
      history: { transition: string; by: string }[];
    }>();
    expect(detail.state).toBe('acknowledged');
    expect(detail.severity).toBe('warning');
    expect(detail.acknowledged).toMatchObject({
      by: 'anna.meier',
      note: 'bearing inspection booked for Tuesday',
    });
    expect(detail.history.map((h) => `${h.transition}:${h.by}`)).toEqual([
      'open:system',
      'acknowledged:anna.meier',
    ]);

    // A second ack is refused with a conflict; resolve works.
    const again = await app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${id}/ack`,
      payload: { by: 'bob' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('PP_ERR_CONFLICT');
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${id}/resolve`,
      payload: { by: 'anna.meier', note: 'bearing replaced' },
    });
    expect(res.statusCode).toBe(202);
    run.catchUp();
    expect(history(store, id).map((h) => h.transition)).toEqual([
      'open',
      'acknowledged',
      'resolved',
    ]);
    // Actions take effect on the readings' time axis: the watermark when the operator read them.
    expect(history(store, id).map((h) => h.at - T0)).toEqual([0, 295_000, 895_000]);

    // Resolved by a human while still hot: no immediate re-open until the condition clears.
    write(store, 't/l1/m1/temp', 'temperature', hot(T0 + 900_000, 12));
    run.catchUp();
    expect(history(store, id).map((h) => h.transition)).toEqual([
      'open',
      'acknowledged',
      'resolved',
    ]);

    const audit = store.audit.list({ actionPrefix: 'alert.' });
    expect(audit.map((e) => [e.action, e.actor, e.detail.by, e.subject])).toEqual([
      ['alert.resolve', 'token:shift-b', 'anna.meier', id],
      ['alert.ack', 'token:shift-b', 'anna.meier', id],
    ]);
    expect(audit[1]!.detail).toMatchObject({
      note: 'bearing inspection booked for Tuesday',
      stateBefore: 'open',
    });
    expect(store.audit.verify().ok).toBe(true);
    await app.close();
  });

  it('escalates an alert nobody acknowledges', async () => {
    const { store, app, run } = await setup();
    write(store, 't/l1/m1/temp', 'temperature', hot(T0, 150)); // 12.5 min above
    run.catchUp();
    const [a] = (await app.inject({ url: '/api/v1/alerts' })).json<{
      alerts: { id: string; severity: string; escalation: number }[];
    }>().alerts;
    expect(a).toMatchObject({ severity: 'critical', escalation: 1 });
    expect(history(store, a!.id).map((h) => [h.transition, h.at - T0, h.severity])).toEqual([
      ['open', 0, 'warning'],
      ['escalate', 600_000, 'critical'],
    ]);
    await app.close();
  });

  it('answers 404, 400 and 409 with their codes', async () => {
    const { store, app, run } = await setup();
    const missing = await app.inject({
      method: 'POST',
      url: '/api/v1/alerts/al_nope/ack',
      payload: { by: 'x' },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('PP_ERR_NOT_FOUND');
    expect((await app.inject({ url: '/api/v1/alerts/al_nope' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/v1/alerts?state=sleepy' })).json().error.code).toBe(
      'PP_ERR_BAD_REQUEST',
    );

    write(store, 't/l1/m1/temp', 'temperature', [...hot(T0, 2), ...hot(T0 + 10_000, 2, 70)]);
    run.catchUp();
    const [a] = (await app.inject({ url: '/api/v1/alerts?state=resolved' })).json<{
      alerts: { id: string }[];
    }>().alerts;
    const badNote = await app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${a!.id}/resolve`,
      payload: { note: 42 },
    });
    expect(badNote.statusCode).toBe(400);
    const done = await app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${a!.id}/resolve`,
      payload: { by: 'x' },
    });
    expect(done.statusCode).toBe(409);
    expect(store.audit.list({ actionPrefix: 'alert.' })).toEqual([]);
    await app.close();
  });
});
