/**
 * The committed dashboards and provisioning files are what `npm run dashboards` produces now,
 * and every dashboard has the shape Grafana and the query test rely on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { generateFiles } from '../../dashboards/generate.js';
import { INFLUX_DATASOURCE } from '../../dashboards/lib/datasource.js';

const root = join(import.meta.dirname, '../../dashboards');

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid: string };
  targets?: { refId: string; query: string; rawQuery: boolean; datasource: { uid: string } }[];
}

describe('generated dashboards', () => {
  it('the committed files equal a fresh run of the generator (run `npm run dashboards`)', async () => {
    const files = await generateFiles(root);
    for (const [rel, text] of files) {
      const committed = readFileSync(join(root, rel), 'utf8');
      expect(committed, `dashboards/${rel} is stale: run npm run dashboards`).toBe(text);
    }
    const onDisk = readdirSync(join(root, 'generated')).map((f) => `generated/${f}`);
    expect(onDisk.sort()).toEqual(
      [...files.keys()].filter((f) => f.startsWith('generated/')).sort(),
    );
  });

  it('each dashboard has a unique uid, the asset variables, and InfluxQL targets on every panel', async () => {
    const files = await generateFiles(root);
    const uids = new Set<string>();
    for (const [rel, text] of files) {
      if (!rel.endsWith('.json')) continue;
      const d = JSON.parse(text) as {
        uid: string;
        panels: Panel[];
        templating: { list: { name: string; query: string }[] };
      };
      expect(uids.has(d.uid), d.uid).toBe(false);
      uids.add(d.uid);
      expect(d.templating.list.map((v) => v.name)).toEqual(['site', 'line', 'machine']);
      for (const v of d.templating.list) expect(v.query).toMatch(/^SHOW TAG VALUES /);
      const ids = new Set<number>();
      for (const p of d.panels) {
        expect(ids.has(p.id)).toBe(false);
        ids.add(p.id);
        expect(p.gridPos.x + p.gridPos.w, `${rel} ${p.title}`).toBeLessThanOrEqual(24);
        if (p.type === 'row') continue;
        expect(p.datasource?.uid).toBe(INFLUX_DATASOURCE.uid);
        expect(p.targets?.length, `${rel} ${p.title}`).toBeGreaterThan(0);
        for (const t of p.targets!) {
          expect(t.rawQuery).toBe(true);
          expect(t.datasource.uid).toBe(INFLUX_DATASOURCE.uid);
          // Bounded in time: the dashboard's range, or a fixed lookback for a current state.
          expect(t.query, `${rel} ${p.title}`).toMatch(/\$timeFilter|time > now\(\) - \d+d/);
        }
      }
    }
    expect(uids.size).toBe(5);
  });

  it('provisions an InfluxQL datasource with a token header and a read-only file provider', async () => {
    const files = await generateFiles(root);
    const ds = parse(files.get('provisioning/datasources/plantpulse.yaml')!) as {
      datasources: {
        uid: string;
        type: string;
        jsonData: Record<string, string>;
        secureJsonData: Record<string, string>;
      }[];
    };
    expect(ds.datasources[0]!.uid).toBe(INFLUX_DATASOURCE.uid);
    expect(ds.datasources[0]!.type).toBe('influxdb');
    expect(ds.datasources[0]!.jsonData.httpHeaderName1).toBe('Authorization');
    expect(ds.datasources[0]!.secureJsonData.httpHeaderValue1).toMatch(/^Token \$/);
    const prov = parse(files.get('provisioning/dashboards/plantpulse.yaml')!) as {
      providers: { allowUiUpdates: boolean; options: { path: string } }[];
    };
    expect(prov.providers[0]!.allowUiUpdates).toBe(false);
    expect(prov.providers[0]!.options.path).toBe('/etc/grafana/dashboards/plantpulse');
  });
});
