/**
 * The InfluxDB sink: whatever `start` creates (HTTP client, ship loop, metrics timer, schema
 * check), `stop` removes. Writes go through @influxdata/influxdb-client's transport (the HTTP
 * layer under its WriteApi: auth header, gzip, timeouts, HttpError with status and headers).
 * The WriteApi itself is not used: its retry buffer keeps failed lines in memory and evicts the
 * oldest on overflow (influxdb-client-js#425), and its batching is decoupled from any durable
 * position. Here the durable cursor *is* the buffer, so batching, retries and splitting live in
 * shipper.ts around it.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { InfluxDB } from '@influxdata/influxdb-client';
import { ConfigError } from '../../config/load.js';
import type { PlantIndex } from '../../config/plant-index.js';
import type { InfluxSinkConfig } from '../../config/sinks-schema.js';
import type { Logger } from '../../runtime/logger.js';
import type { Metrics } from '../../runtime/metrics.js';
import type { Store } from '../../store/store.js';
import { PointFormatter } from './points.js';
import { retryDelay } from './policy.js';
import { checkInfluxSchema, type SchemaCheckResult } from './schema-check.js';
import { metricLines } from './self-metrics.js';
import { InfluxShipper } from './shipper.js';

export interface SinkContext {
  store: Store;
  index?: PlantIndex;
  metrics?: Metrics;
  log: Logger;
  /** Plant model file, for configuration errors. */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Readiness {
  ready: boolean;
  detail?: string;
}

const METRICS_INTERVAL_MS = 2000;

export class InfluxSink {
  private shipper: InfluxShipper | undefined;
  private timer: NodeJS.Timeout | undefined;
  private selfTimer: NodeJS.Timeout | undefined;
  private schema: SchemaCheckResult | { state: 'pending'; detail: string } | undefined;
  private schemaAbort = new AbortController();
  private schemaRun: Promise<void> | undefined;
  private lastShipped = 0;
  private shippedTotal = 0;

  constructor(
    private readonly cfg: InfluxSinkConfig,
    private readonly ctx: SinkContext,
  ) {}

  start(): void {
    const { cfg, ctx } = this;
    const log = ctx.log.child({ component: 'sink:influx' });
    const token = resolveToken(cfg, ctx, log);
    const influx = new InfluxDB({ url: cfg.url, token, timeout: cfg.timeout });
    const path = `/api/v2/write?org=${encodeURIComponent(cfg.org)}&bucket=${encodeURIComponent(cfg.bucket)}&precision=ms`;
    const headers = { 'content-type': 'text/plain; charset=utf-8' };
    const gzipThreshold = cfg.gzip ? cfg.gzipThreshold : undefined;
    const m = ctx.metrics;
    const formatter = new PointFormatter(ctx.index, (id) => ctx.store.series.byIdOf(id));
    this.shipper = new InfluxShipper(
      ctx.store.db,
      ctx.store.cursors,
      formatter,
      (body, signal) =>
        influx.transport.request(path, body, { method: 'POST', headers, gzipThreshold, signal }),
      {
        cursor: cfg.cursor,
        batchLines: cfg.batchLines,
        batchBytes: cfg.batchBytes,
        flushIntervalMs: cfg.flushInterval,
        initialMs: cfg.retryInitial,
        maxMs: cfg.retryMax,
        retryAfterMaxMs: cfg.retryAfterMax,
      },
      {
        shipped: (n) => {
          this.shippedTotal += n;
          m?.influxShippedLines.inc(n);
        },
        failed: (v, attempt, delayMs) => {
          m?.influxWriteErrors.inc({ status: String(v.status) });
          m?.influxLastError.set(Date.now() / 1000);
          const entry = { status: v.status, attempt, delayMs, error: v.message };
          if (v.kind === 'retry' && attempt > 1)
            log.debug(entry, 'InfluxDB write failed again; retrying');
          else
            log.warn(
              entry,
              v.kind === 'retry'
                ? 'InfluxDB write failed; retrying (nothing is dropped)'
                : 'InfluxDB rejected the batch; isolating the bad lines',
            );
        },
        deadLettered: (n, v) => {
          m?.influxDeadLetters.inc(n);
          log.error(
            { lines: n, error: v.message },
            'InfluxDB rejected lines as bad data; kept in the dead-letter table',
          );
        },
      },
      (id) => ctx.store.series.byIdOf(id)?.key ?? `series ${id}`,
    );
    this.shipper.start();
    this.timer = setInterval(() => this.updateMetrics(), METRICS_INTERVAL_MS);
    this.timer.unref();
    if (cfg.ensureSchema) this.schemaRun = this.runSchemaCheck(influx, log);
    if (cfg.selfMetrics && m) {
      // Best effort, beside the log (see self-metrics.ts): a failed write is dropped; the next
      // one carries the cumulative counters again.
      const instance = hostname();
      this.selfTimer = setInterval(() => {
        void metricLines(m.registry, instance, Date.now())
          .then((lines) =>
            influx.transport.request(path, lines.join('\n'), { method: 'POST', headers }),
          )
          .catch((err: Error) => log.debug({ err: err.message }, 'own metrics not written'));
      }, cfg.selfMetricsInterval);
      this.selfTimer.unref();
    }
    log.info(
      { url: cfg.url, bucket: cfg.bucket, cursor: this.shipper.position },
      'InfluxDB sink started',
    );
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.selfTimer) clearInterval(this.selfTimer);
    this.schemaAbort.abort();
    await this.shipper?.stop();
    await this.schemaRun;
  }

  readiness(): Readiness {
    const err = this.shipper?.lastError;
    if (err) return { ready: false, detail: `last write failed (${err.status}): ${err.message}` };
    if (this.schema?.state === 'failed') return { ready: false, detail: this.schema.detail };
    return {
      ready: true,
      detail: `cursor ${this.shipper?.position ?? 0}${this.schema ? `; ${this.schema.detail}` : ''}`,
    };
  }

  private updateMetrics(): void {
    const m = this.ctx.metrics;
    if (!m || !this.shipper) return;
    try {
      const pos = this.shipper.position;
      const db = this.ctx.store.db;
      const last =
        (db.prepare('SELECT MAX(pos) AS p FROM log').get() as { p: number | null }).p ?? 0;
      const oldest = db
        .prepare('SELECT received FROM log WHERE pos > ? ORDER BY pos LIMIT 1')
        .get(pos) as { received: number } | undefined;
      m.influxBacklogLines.set(Math.max(0, last - pos));
      m.influxBacklogAge.set(oldest ? Math.max(0, (Date.now() - oldest.received) / 1000) : 0);
      m.influxShipRate.set(((this.shippedTotal - this.lastShipped) * 1000) / METRICS_INTERVAL_MS);
      this.lastShipped = this.shippedTotal;
    } catch {
      // the store is closing
    }
  }

  private async runSchemaCheck(influx: InfluxDB, log: Logger): Promise<void> {
    this.schema = { state: 'pending', detail: 'checking bucket and DBRP mapping' };
    const opts = {
      org: this.cfg.org,
      bucket: this.cfg.bucket,
      database: this.cfg.dbrp.database ?? this.cfg.bucket,
      retentionPolicy: this.cfg.dbrp.retentionPolicy,
    };
    for (let attempt = 1; !this.schemaAbort.signal.aborted; attempt++) {
      try {
        this.schema = await checkInfluxSchema(influx.transport, opts);
        const level = this.schema.state === 'failed' ? 'error' : 'info';
        log[level]({ schema: this.schema.state }, this.schema.detail);
        return;
      } catch (err) {
        const delay = retryDelay(
          attempt,
          { initialMs: this.cfg.retryInitial, maxMs: this.cfg.retryMax, retryAfterMaxMs: 0 },
          undefined,
        );
        log.debug({ err: (err as Error).message, delay }, 'InfluxDB schema check failed; retrying');
        // The listener goes with its timer: one left per retry would pile up on the long-lived signal.
        await new Promise<void>((res) => {
          const signal = this.schemaAbort.signal;
          const done = () => {
            clearTimeout(t);
            signal.removeEventListener('abort', done);
            res();
          };
          const t = setTimeout(done, delay);
          signal.addEventListener('abort', done, { once: true });
        });
      }
    }
  }
}

/** The token from tokenFile, tokenEnv or inline (with a warning); undefined = no auth (1.8 open, VictoriaMetrics). */
export function resolveToken(
  cfg: InfluxSinkConfig,
  ctx: SinkContext,
  log: Logger,
): string | undefined {
  const file = ctx.configFile ?? '<plant model>';
  if (cfg.tokenFile) {
    try {
      const t = readFileSync(cfg.tokenFile, 'utf8').split('\n')[0]!.trim();
      if (!t) throw new Error('the file is empty');
      return t;
    } catch (err) {
      throw new ConfigError(file, [
        `sinks.influx.tokenFile: cannot read "${cfg.tokenFile}": ${(err as Error).message}; write the token in that file or use tokenEnv`,
      ]);
    }
  }
  if (cfg.tokenEnv) {
    const t = (ctx.env ?? process.env)[cfg.tokenEnv];
    if (!t)
      throw new ConfigError(file, [
        `sinks.influx.tokenEnv: environment variable ${cfg.tokenEnv} is not set; export it or use tokenFile`,
      ]);
    return t;
  }
  if (cfg.token) {
    log.warn(
      'sinks.influx.token is written inline in the plant model: anyone who can read the file can write to InfluxDB; move it to tokenFile or tokenEnv',
    );
  }
  return cfg.token;
}
