/**
 * The sink's error policy against a real HTTP server started here (node:http, speaking the
 * /api/v2/write contract: 204 on success, 413, 400 naming bad data, 429 with Retry-After, 500),
 * with the real influxdb-client transport and a real SQLite log: 413 splits the batch, bad
 * lines are isolated and dead-lettered while the rest ship in order, 429 waits at least
 * Retry-After, 5xx retries without dropping, and the cursor moves only after confirmation.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { getEventListeners } from 'node:events';
import { gunzipSync } from 'node:zlib';
import { InfluxDB } from '@influxdata/influxdb-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PointFormatter } from '../../sinks/influx/points.js';
import { parseRetryAfter, retryDelay } from '../../sinks/influx/policy.js';
import { InfluxShipper, type ShipperEvents } from '../../sinks/influx/shipper.js';
import {
  commitRows,
  lastPos,
  openTestStore,
  until,
} from '../../sinks/influx/testkit/log-fixture.js';
import type { Store } from '../../store/store.js';
import { tempDir } from '../helpers/tmp.js';

type Handler = (lines: string[], res: ServerResponse, cursor: number) => void;

let tmp: { dir: string; cleanup: () => void };
let store: Store;
let server: Server;
let url: string;
let handler: Handler;
let received: string[][];
let shipper: InfluxShipper | undefined;
let series: number;

beforeEach(async () => {
  tmp = tempDir('plantpulse-sink-policy-');
  store = openTestStore(tmp.dir);
  series = store.series.ensure('t/l1/m1/power', 'power', 'W');
  received = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      expect(req.url).toBe('/api/v2/write?org=&bucket=plantpulse&precision=ms');
      const lines = body.toString('utf8').split('\n').filter(Boolean);
      handler(lines, res, store.cursors.get('sink:influx'));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterEach(async () => {
  await shipper?.stop();
  shipper = undefined;
  await new Promise((r) => server.close(r));
  store.close();
  tmp.cleanup();
});

function rows(n: number): void {
  commitRows(
    store,
    Array.from({ length: n }, (_, i) => ({
      series,
      ts: 1_700_000_000_000 + i,
      value: i,
      quality: 0,
      body: null,
    })),
  );
}

function start(
  events: ShipperEvents = {},
  batchLines = 100,
  onRequest: (signal: AbortSignal) => void = () => undefined,
): void {
  const transport = new InfluxDB({ url, timeout: 5000 }).transport;
  const path = '/api/v2/write?org=&bucket=plantpulse&precision=ms';
  shipper = new InfluxShipper(
    store.db,
    store.cursors,
    new PointFormatter(undefined, (id) => store.series.byIdOf(id)),
    (body, signal) => {
      onRequest(signal);
      return transport.request(path, body, { method: 'POST', gzipThreshold: 0, signal });
    },
    {
      cursor: 'sink:influx',
      batchLines,
      batchBytes: 1 << 20,
      flushIntervalMs: 10,
      initialMs: 5,
      maxMs: 20,
      retryAfterMaxMs: 5000,
    },
    events,
    (id) => store.series.byIdOf(id)!.key,
  );
  shipper.start();
}

const valueOf = (line: string) => Number(/ value=([^ ,]+)/.exec(line)![1]);
const accept = (lines: string[], res: ServerResponse) => {
  received.push(lines);
  res.writeHead(204).end();
};
const shippedValues = () => received.flat().map(valueOf);
const caughtUp = () => store.cursors.get('sink:influx') === lastPos(store);

describe('sink error policy (real HTTP server)', () => {
  it('splits a batch the server finds too large (413) and ships every line once, in order', async () => {
    rows(300);
    handler = (lines, res) =>
      lines.length > 30
        ? res.writeHead(413).end('{"code":"request too large"}')
        : accept(lines, res);
    start();
    await until(caughtUp, 'the shipper to catch up');
    expect(shippedValues()).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(received.every((b) => b.length <= 30)).toBe(true);
  });

  it('dead-letters the lines a 400 names as bad data, ships the rest in order', async () => {
    rows(200);
    const bad = new Set([13, 77, 150]);
    handler = (lines, res) => {
      const hit = lines.find((l) => bad.has(valueOf(l)));
      if (hit)
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ code: 'invalid', message: `unable to parse '${hit}': bad value` }));
      else accept(lines, res);
    };
    const deadLettered: number[] = [];
    start({ deadLettered: (n) => deadLettered.push(n) });
    await until(caughtUp, 'the shipper to catch up');
    expect(shippedValues()).toEqual(
      Array.from({ length: 200 }, (_, i) => i).filter((v) => !bad.has(v)),
    );
    expect(deadLettered).toEqual([1, 1, 1]);
    const dl = store.queries.deadLetters({ limit: 10 }).reverse();
    expect(dl.map((d) => valueOf(d.payload))).toEqual([13, 77, 150]);
    expect(dl[0]).toMatchObject({
      code: 'PP_ERR_SINK_REJECTED',
      topic: 'sink:influx',
      field: 't/l1/m1/power',
    });
    expect(dl[0]!.reason).toMatch(/^400 .*unable to parse .*\(log position \d+\)$/);
  });

  it('waits at least Retry-After on 429, then ships without loss', async () => {
    rows(50);
    let calls = 0;
    handler = (lines, res) =>
      ++calls <= 2
        ? res.writeHead(429, { 'retry-after': '1' }).end('slow down')
        : accept(lines, res);
    const delays: number[] = [];
    start({ failed: (v, _attempt, delay) => delays.push(delay) });
    await until(caughtUp, 'the shipper to catch up');
    expect(delays).toHaveLength(2);
    expect(delays.every((d) => d >= 1000)).toBe(true); // retryMax is 20 ms: only Retry-After explains it
    expect(shippedValues()).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('retries 5xx and network errors forever without moving the cursor or dropping a line', async () => {
    rows(250);
    let failures = 0;
    const cursorsSeenOnFailure = new Set<number>();
    handler = (lines, res, cursor) => {
      if (failures < 7 && valueOf(lines[0]!) === 100) {
        failures++;
        cursorsSeenOnFailure.add(cursor);
        if (failures === 4)
          res.socket?.destroy(); // a dropped connection
        else res.writeHead(500).end('internal error');
        return;
      }
      accept(lines, res);
    };
    const statuses: (number | string)[] = [];
    start({ failed: (v) => statuses.push(v.status) });
    await until(caughtUp, 'the shipper to catch up');
    expect(failures).toBe(7);
    expect(statuses).toContain(500);
    expect(statuses).toContain('network');
    // While the batch starting at value 100 failed, the cursor stayed on the batch before it.
    expect([...cursorsSeenOnFailure]).toHaveLength(1);
    expect(shippedValues()).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(store.queries.deadLetters({ limit: 1 })).toHaveLength(0);
  });

  it('keeps unshipped rows from retention: the cursor exists from the first start', async () => {
    rows(20);
    handler = (_lines, res) => res.writeHead(503).end();
    start();
    const far = 1_700_000_000_000 + 10 * 365 * 86_400_000;
    expect(store.retention.run(far).raw).toBe(0);
    expect(store.queries.counts().readings).toBe(20);
  });
});

describe('request signals', () => {
  // The client adds an abort listener to a request's signal and never removes it: a signal
  // shared by every request would keep each one reachable for the life of the process.
  it('gives each request its own signal, and stop() still aborts the one in flight', async () => {
    rows(5);
    const signals: AbortSignal[] = [];
    let failures = 0;
    handler = (lines, res) => {
      if (failures++ < 20) res.writeHead(503).end();
      else accept(lines, res);
    };
    start({}, 100, (sig) => signals.push(sig));
    await until(caughtUp, 'the retries to succeed');
    expect(signals.length).toBe(21);
    expect(new Set(signals).size).toBe(signals.length);
    for (const sig of signals)
      expect(getEventListeners(sig, 'abort').length).toBeLessThanOrEqual(1);

    handler = () => undefined; // never answers: the next request stays in flight
    commitRows(store, [{ series, ts: 1_800_000_000_000, value: 1, quality: 0, body: null }]);
    await until(() => signals.length === 22, 'the next request');
    const inFlight = signals.at(-1)!;
    await shipper!.stop();
    shipper = undefined;
    expect(inFlight.aborted).toBe(true);
  });
});

describe('retry timing', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('backs off exponentially with jitter, capped, never below Retry-After (itself capped)', () => {
    const o = { initialMs: 100, maxMs: 10_000, retryAfterMaxMs: 60_000 };
    for (let attempt = 1; attempt < 40; attempt++) {
      const ceiling = Math.min(10_000, 100 * 2 ** (attempt - 1));
      expect(retryDelay(attempt, o, undefined, () => 0)).toBe(50);
      expect(retryDelay(attempt, o, undefined, () => 1)).toBe(Math.max(50, ceiling));
    }
    expect(retryDelay(1, o, 5000, () => 0.5)).toBe(5000);
    expect(retryDelay(1, o, 3_600_000, () => 0.5)).toBe(60_000);
  });
});
