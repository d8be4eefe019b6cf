/**
 * docker-compose.yml through a real compose implementation (Debian's docker-compose 1.29,
 * which validates and resolves the file without a Docker daemon), and the files it mounts and
 * builds from exist. The stack's plant model goes through PlantPulse's own config loader and
 * must agree with what compose gives InfluxDB and Grafana (org, bucket, token variable,
 * database, dashboard folder).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePlantModel } from '../../config/load.js';
import { GRAFANA_DASHBOARD_DIR } from '../../dashboards/generate.js';
import { tempDir } from '../helpers/tmp.js';

const root = resolve(import.meta.dirname, '../..');
const COMPOSE = process.env.PLANTPULSE_COMPOSE_BINARY ?? 'docker-compose';
const tmp = tempDir('plantpulse-compose-');
afterAll(() => tmp.cleanup());

interface Service {
  build?: { context: string; dockerfile?: string };
  image?: string;
  environment?: Record<string, string>;
  volumes?: (string | { type: string; source: string; target: string; read_only?: boolean })[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: unknown[];
}
interface Resolved {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

function compose(envFile: string) {
  const r = spawnSync(COMPOSE, ['-f', 'docker-compose.yml', '--env-file', envFile, 'config'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, COMPOSE_PROJECT_NAME: '' },
  });
  if (r.error)
    throw new Error(`cannot run ${COMPOSE}: ${r.error.message} (apt-get install docker-compose)`);
  return r;
}

/** host path → container path (and mode) of every bind mount, named volumes apart. */
function mounts(s: Service): { source: string; target: string; ro: boolean; bind: boolean }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string')
      return { source: v.source, target: v.target, ro: !!v.read_only, bind: v.type === 'bind' };
    const [source, target, mode] = v.split(':');
    return { source: source!, target: target!, ro: mode === 'ro', bind: source!.startsWith('/') };
  });
}

const result = compose(join(root, '.env.example'));
const cfg = (
  result.status === 0 ? parse(result.stdout) : { services: {}, volumes: {} }
) as Resolved;

describe('docker-compose.yml', () => {
  it('is valid for docker-compose with .env.example', () => {
    expect(result.stderr.replace(/^.*WARNING.*$/gm, '').trim(), result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(Object.keys(cfg.services).sort()).toEqual(['grafana', 'influxdb', 'plantpulse']);
  });

  it('refuses to start without the secrets, naming the missing one', () => {
    const empty = join(tmp.dir, 'empty.env');
    writeFileSync(empty, '');
    const r = compose(empty);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/set [A-Z_]+ in \.env/);
  });

  it('mounts and builds only from files that exist; secrets are not in the build context', () => {
    for (const [name, s] of Object.entries(cfg.services)) {
      for (const m of mounts(s)) {
        if (!m.bind) {
          expect(Object.keys(cfg.volumes), `${name}: volume ${m.source}`).toContain(m.source);
          continue;
        }
        expect(existsSync(m.source), `${name} mounts ${m.source}, which does not exist`).toBe(true);
        expect(m.ro, `${name}: bind mount ${m.source} should be read-only`).toBe(true);
      }
      if (s.build) {
        const dockerfile = join(s.build.context, s.build.dockerfile ?? 'Dockerfile');
        expect(existsSync(dockerfile), dockerfile).toBe(true);
        for (const line of readFileSync(dockerfile, 'utf8').split('\n')) {
          const m = /^COPY\s+(?!--from)(.+)\s+\S+$/.exec(line.trim());
          if (!m) continue;
          for (const src of m[1]!.split(/\s+/))
            expect(existsSync(join(s.build.context, src)), `Dockerfile ${line}`).toBe(true);
        }
        const ignored = readFileSync(join(s.build.context, '.dockerignore'), 'utf8').split('\n');
        expect(ignored).toContain('.env');
      }
    }
    expect(
      statSync(join(root, 'deploy/influxdb/init/10-plantpulse-dbrp.sh')).mode & 0o111,
    ).not.toBe(0);
  });

  it('every service has a health check; dependencies wait on them', () => {
    for (const [name, s] of Object.entries(cfg.services)) {
      expect(s.healthcheck?.test.length, `${name} health check`).toBeGreaterThan(0);
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(cfg.services[dep], `${name} depends on ${dep}`).toBeDefined();
        expect(['service_healthy', 'service_started']).toContain(condition);
      }
    }
    // PlantPulse must ingest while InfluxDB is down (the log is the spine): ordering only
    expect(cfg.services.plantpulse!.depends_on?.influxdb?.condition).toBe('service_started');
    expect(cfg.services.grafana!.depends_on?.influxdb?.condition).toBe('service_healthy');
  });

  it("PlantPulse's plant model, InfluxDB's setup and Grafana's datasource agree", () => {
    const pp = cfg.services.plantpulse!;
    const plantMount = mounts(pp).find((m) => m.target === '/config/plant.yaml')!;
    const model = parsePlantModel(readFileSync(plantMount.source, 'utf8'), plantMount.source);
    const sink = model.sinks!.influx!;
    const influxEnv = cfg.services.influxdb!.environment!;
    const grafanaEnv = cfg.services.grafana!.environment!;
    expect(new URL(sink.url).host).toBe('influxdb:8086');
    expect(sink.org).toBe(influxEnv.DOCKER_INFLUXDB_INIT_ORG);
    expect(sink.bucket).toBe(influxEnv.DOCKER_INFLUXDB_INIT_BUCKET);
    expect(sink.tokenEnv && pp.environment?.[sink.tokenEnv]).toBeTruthy();
    expect(sink.token).toBeUndefined();
    expect(sink.dbrp.database).toBe(grafanaEnv.PLANTPULSE_INFLUX_DATABASE);
    expect(grafanaEnv.PLANTPULSE_INFLUX_URL).toBe(sink.url);
    const grafanaMounts = mounts(cfg.services.grafana!);
    expect(grafanaMounts.find((m) => m.target === GRAFANA_DASHBOARD_DIR)?.source).toBe(
      join(root, 'dashboards/generated'),
    );
    expect(grafanaMounts.map((m) => m.target)).toEqual(
      expect.arrayContaining([
        '/etc/grafana/provisioning/datasources',
        '/etc/grafana/provisioning/dashboards',
      ]),
    );
    // the stack runs the example plant: everything but the sink section is the same model
    const example = parsePlantModel(
      readFileSync(join(root, 'examples/plant.yaml'), 'utf8'),
      'examples/plant.yaml',
    );
    expect({ ...model, sinks: undefined }).toEqual({ ...example, sinks: undefined });
    // the datasource file reads exactly the variables compose sets
    const ds = readFileSync(
      join(root, 'dashboards/provisioning/datasources/plantpulse.yaml'),
      'utf8',
    );
    for (const v of ds.match(/\$[A-Z_]+/g) ?? []) expect(grafanaEnv).toHaveProperty(v.slice(1));
  });
});
