/**
 * Start-up check for InfluxDB 2.x (bucket + DBRP mapping for InfluxQL), against an EMULATED
 * v2 API: a small real HTTP server started here that implements /ping, /api/v2/orgs,
 * /api/v2/buckets and /api/v2/dbrps as InfluxDB 2.7 documents them. An emulation because no
 * InfluxDB 2 can run on the development machines (Debian ships only influxdb 1.x; no
 * influxdb2 package), and DESIGN §4 asks a test that uses a stand-in to say so in its name.
 */
import { createServer, type Server } from 'node:http';
import { InfluxDB } from '@influxdata/influxdb-client';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkInfluxSchema } from '../../sinks/influx/schema-check.js';
import { InfluxSink } from '../../sinks/influx/sink.js';
import {
  commitRows,
  lastPos,
  openTestStore,
  sinkConfig,
  until,
} from '../../sinks/influx/testkit/log-fixture.js';
import { tempDir } from '../helpers/tmp.js';

interface State {
  version: string;
  buckets: { id: string; orgID: string; name: string }[];
  dbrps: {
    orgID: string;
    bucketID: string;
    database: string;
    retention_policy: string;
    default: boolean;
  }[];
  posts: string[];
}

let server: Server;
let url: string;
let state: State;
const TOKENS: Record<string, 'all' | 'write' | 'writeOnly'> = {
  admin: 'all',
  writer: 'write',
  scoped: 'writeOnly',
};

beforeEach(async () => {
  state = { version: 'v2.7.11', buckets: [], dbrps: [], posts: [] };
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const u = new URL(req.url!, 'http://x');
      const json = (status: number, doc: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
      if (u.pathname === '/ping')
        return res
          .writeHead(204, { 'x-influxdb-version': state.version, 'x-influxdb-build': 'OSS' })
          .end();
      const role = TOKENS[(req.headers.authorization ?? '').replace(/^Token /, '')];
      if (!role) return json(401, { code: 'unauthorized', message: 'unauthorized access' });
      if (req.method === 'POST') {
        state.posts.push(u.pathname);
        if (u.pathname === '/api/v2/write') return res.writeHead(204).end();
        if (role !== 'all')
          return json(403, { code: 'forbidden', message: 'insufficient permissions' });
      }
      // a token with write permission on the bucket only may read nothing
      if (role === 'writeOnly' && u.pathname === '/api/v2/dbrps')
        return json(403, { code: 'forbidden', message: 'insufficient permissions' });
      const q = u.searchParams;
      if (u.pathname === '/api/v2/orgs')
        return json(200, { orgs: q.get('org') === 'acme' ? [{ id: 'o1', name: 'acme' }] : [] });
      if (u.pathname === '/api/v2/buckets' && req.method === 'GET')
        return json(200, {
          buckets: state.buckets.filter(
            (b) => b.orgID === q.get('orgID') && b.name === q.get('name'),
          ),
        });
      if (u.pathname === '/api/v2/buckets') {
        const doc = JSON.parse(body) as { orgID: string; name: string };
        const b = { id: `b${state.buckets.length + 1}`, orgID: doc.orgID, name: doc.name };
        state.buckets.push(b);
        return json(201, b);
      }
      if (u.pathname === '/api/v2/dbrps' && req.method === 'GET')
        return json(200, {
          content: state.dbrps.filter(
            (d) => d.orgID === q.get('orgID') && d.bucketID === q.get('bucketID'),
          ),
        });
      if (u.pathname === '/api/v2/dbrps') {
        const doc = JSON.parse(body) as State['dbrps'][number];
        state.dbrps.push(doc);
        return json(201, { id: 'd1', ...doc });
      }
      return json(404, { code: 'not found', message: 'path not found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterEach(async () => {
  await new Promise((r) => server.close(r));
});

const opts = {
  org: 'acme',
  bucket: 'plantpulse',
  database: 'plantpulse',
  retentionPolicy: 'autogen',
};
const transport = (token: string) => new InfluxDB({ url, token }).transport;

describe('InfluxDB 2.x bucket/DBRP check (emulated v2 API)', () => {
  it('creates the missing bucket and DBRP mapping when the token allows', async () => {
    const r = await checkInfluxSchema(transport('admin'), opts);
    expect(r).toMatchObject({
      state: 'ok',
      created: ['bucket plantpulse', 'DBRP plantpulse/autogen'],
    });
    expect(state.buckets).toEqual([{ id: 'b1', orgID: 'o1', name: 'plantpulse' }]);
    expect(state.dbrps).toEqual([
      {
        orgID: 'o1',
        bucketID: 'b1',
        database: 'plantpulse',
        retention_policy: 'autogen',
        default: true,
      },
    ]);
  });

  it('creates nothing when both exist', async () => {
    await checkInfluxSchema(transport('admin'), opts);
    state.posts = [];
    const r = await checkInfluxSchema(transport('writer'), opts);
    expect(r).toMatchObject({ state: 'ok', created: [] });
    expect(state.posts).toEqual([]);
  });

  it('says which command fixes it when the token may not create the mapping', async () => {
    state.buckets.push({ id: 'b9', orgID: 'o1', name: 'plantpulse' });
    const r = await checkInfluxSchema(transport('writer'), opts);
    expect(r.state).toBe('failed');
    expect(r.detail).toContain('no DBRP mapping plantpulse/autogen');
    expect(r.detail).toContain(
      'influx v1 dbrp create --org acme --bucket-id b9 --db plantpulse --rp autogen --default',
    );
  });

  it('does not hold the sink back when a least-privilege token may not read the mappings', async () => {
    state.buckets.push({ id: 'b9', orgID: 'o1', name: 'plantpulse' });
    const r = await checkInfluxSchema(transport('scoped'), opts);
    expect(r.state).toBe('skipped');
    expect(r.detail).toContain('may not read /api/v2/dbrps (403)');
    expect(r.detail).toContain('influx v1 dbrp list --org acme --db plantpulse');
    expect(state.posts).toEqual([]);
  });

  it('names a missing organisation', async () => {
    const r = await checkInfluxSchema(transport('admin'), { ...opts, org: 'nope' });
    expect(r).toEqual({
      state: 'failed',
      detail: 'organisation "nope" not found (sinks.influx.org)',
    });
  });

  it('skips servers that are not InfluxDB 2.x', async () => {
    state.version = '1.8.10';
    const r = await checkInfluxSchema(transport('admin'), opts);
    expect(r.state).toBe('skipped');
    expect(state.posts).toEqual([]);
  });

  it('reports the outcome in the sink readiness, and writes still flow', async () => {
    state.buckets.push({ id: 'b9', orgID: 'o1', name: 'plantpulse' });
    const tmp = tempDir('plantpulse-sink-schema-');
    const store = openTestStore(tmp.dir);
    const sink = new InfluxSink(
      sinkConfig({ url, org: 'acme', tokenEnv: 'PP_TEST_INFLUX_TOKEN', flushInterval: '10ms' }),
      { store, log: pino({ level: 'silent' }), env: { PP_TEST_INFLUX_TOKEN: 'writer' } },
    );
    try {
      sink.start();
      await until(() => /no DBRP mapping/.test(sink.readiness().detail ?? ''), 'the schema check');
      expect(sink.readiness()).toMatchObject({ ready: false });
      const id = store.series.ensure('t/l1/m1/power', 'power', 'W');
      commitRows(store, [{ series: id, ts: 1_700_000_000_000, value: 1, quality: 0, body: null }]);
      await until(() => store.cursors.get('sink:influx') === lastPos(store), 'the write');
      expect(state.posts).toContain('/api/v2/write');
    } finally {
      await sink.stop();
      store.close();
      tmp.cleanup();
    }
  });
});
