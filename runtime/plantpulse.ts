/**
 * One PlantPulse process on the embedded default: plant model → local log → ingest → broker →
 * API, plus the log maintenance loop (rollups, retention). `startPlantPulse` opens them in that
 * order and `stop` closes them in reverse, flushing the log before it closes.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { AlertDispatcher } from '../alerts/dispatcher.js';
import { createOperators } from '../analytics/registry.js';
import { OperatorRunner } from '../analytics/runner.js';
import { buildApp } from '../api/app.js';
import { DeviceCredentials } from '../broker/credentials.js';
import type { BrokerContext } from '../broker/context.js';
import { EmbeddedBroker } from '../broker/server.js';
import { loadPlantModel } from '../config/load.js';
import { buildPlantIndex, type PlantIndex } from '../config/plant-index.js';
import { Ingestor } from '../ingest/ingestor.js';
import { startSinks, type RunningSinks } from '../sinks/index.js';
import { openStore, type Store } from '../store/store.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';

export interface StartOptions {
  configFile: string;
  dataDir: string;
  /** Override mqtt.port / http.port of the plant model (0 = ephemeral). */
  mqttPort?: number;
  httpPort?: number;
  log?: Logger;
}

export interface RunningPlantPulse {
  index: PlantIndex;
  store: Store;
  metrics: Metrics;
  broker: EmbeddedBroker;
  app: FastifyInstance;
  mqttPort: number;
  httpPort: number;
  stop(): Promise<void>;
}

export async function startPlantPulse(opts: StartOptions): Promise<RunningPlantPulse> {
  const log = opts.log ?? createLogger();
  const model = loadPlantModel(opts.configFile);
  const index = buildPlantIndex(model, opts.configFile);
  const metrics = createMetrics();
  const startedAt = Date.now();

  const store = openStore({
    dataDir: opts.dataDir,
    durability: model.ingest.durability,
    commitMaxRows: model.ingest.commitMaxRows,
    rawRetentionMs: model.storage.rawRetention,
    rollupRetentionMs: model.storage.rollupRetention,
    onCommit: (s) => {
      metrics.commitSeconds.observe(s.durationMs / 1000);
      metrics.commitRows.observe(s.rows + s.deadLetters);
      metrics.readingsStored.inc(s.inserted);
      metrics.duplicates.inc(s.duplicates);
      metrics.deadLetters.inc(s.deadLetters);
    },
    onCommitError: (err, s) => {
      metrics.commitErrors.inc();
      log.error(
        { err: err.message, rows: s.rows, submissions: s.submissions },
        'group commit failed; those messages are not acknowledged',
      );
    },
  });

  let broker: EmbeddedBroker | undefined;
  let app: FastifyInstance | undefined;
  let timer: NodeJS.Timeout | undefined;
  let analyticsTimer: NodeJS.Timeout | undefined;
  let runner: OperatorRunner | undefined;
  let sinks: RunningSinks | undefined; // sinks (InfluxDB): started last, stopped before the store closes
  let alertDispatcher: AlertDispatcher | undefined; // alert outbox → channels (alerts/dispatcher.ts)
  const stop = async () => {
    if (timer) clearInterval(timer);
    if (analyticsTimer) clearInterval(analyticsTimer);
    await broker?.stop();
    try {
      runner?.checkpointAll(); // a restart then resumes here instead of replaying since the last periodic checkpoint
    } catch (err) {
      log.error(
        { err },
        'saving analytics checkpoints at shutdown failed; the next start replays from the last one',
      );
    }
    await app?.close();
    await sinks?.stop();
    await alertDispatcher?.stop(); // waits for deliveries in flight; undelivered rows stay pending
    store.close();
    log.info('PlantPulse stopped; the log is flushed and closed');
  };

  try {
    const credentials = new DeviceCredentials(store.db);
    const ingestor = new Ingestor(index, store.series, {
      maxPayloadBytes: model.ingest.maxPayloadBytes,
      maxFutureSkewMs: model.ingest.maxFutureSkew,
      deadLetterPayloadCap: model.ingest.deadLetterPayloadCap,
    });
    warnAboutAccess(index, credentials, log);

    const ctx: BrokerContext = {
      index,
      ingestor,
      writer: store.writer,
      credentials,
      metrics,
      log: log.child({ component: 'broker' }),
      identities: new WeakMap(),
    };
    broker = new EmbeddedBroker(ctx, {
      host: model.mqtt.host,
      port: opts.mqttPort ?? model.mqtt.port,
      maxPacketBytes: model.mqtt.maxPacketBytes,
      maxConnections: model.mqtt.maxConnections,
      keepaliveLimitSeconds: model.mqtt.keepaliveLimitSeconds,
      connectTimeoutMs: model.mqtt.connectTimeout,
    });
    const mqttPort = await broker.start();

    app = await buildApp({
      index,
      store,
      metrics,
      log,
      dataDir: opts.dataDir,
      startedAt,
      analyticsPositions: () => runner?.positions() ?? {},
      readiness: () => ({
        log: store.writer.failing
          ? { ready: false, detail: `last commit failed: ${store.writer.failing.message}` }
          : { ready: true },
        broker: { ready: true, detail: `${broker?.aedes.connectedClients ?? 0} clients` },
        ...sinks?.readiness(),
      }),
    });
    await app.listen({ port: opts.httpPort ?? model.http.port, host: model.http.host });
    const httpPort = (app.server.address() as AddressInfo).port;

    timer = setInterval(() => maintain(store, log), model.storage.maintenanceInterval);
    timer.unref();
    runner = new OperatorRunner(store, index, createOperators(index), {
      batchRows: 2_000,
      // A snapshot is the operators' whole state (MBs): rare enough that its stall stays out of
      // the ingest p99; a crash replays at most this much log (bench/README.md has the figures).
      checkpointIntervalMs: 30_000,
      log: log.child({ component: 'analytics' }),
    });
    const analytics = runner;
    analyticsTimer = setInterval(() => runAnalytics(analytics, log), 25);
    analyticsTimer.unref();
    // --- sinks (DESIGN C3): ship the log by cursor; see sinks/index.ts ---
    sinks = startSinks(model.sinks, { store, index, metrics, log, configFile: opts.configFile });
    // --- alert notifications: deliver the outbox the alerts operator writes (alerts/README.md) ---
    const aedes = broker.aedes;
    alertDispatcher = new AlertDispatcher({
      db: store.db,
      index,
      log: log.child({ component: 'alerts' }),
      metrics,
      mqttPublish: (topic, payload, o) =>
        new Promise((res, rej) =>
          aedes.publish(
            { cmd: 'publish', topic, payload, qos: o.qos, retain: o.retain, dup: false },
            (err) => (err ? rej(err) : res()),
          ),
        ),
    });
    alertDispatcher.start();

    log.info(
      {
        mqttPort,
        httpPort,
        dataDir: opts.dataDir,
        sensors: index.sensors.length,
        devices: index.devices.size,
        durability: model.ingest.durability,
      },
      'PlantPulse ready',
    );
    return { index, store, metrics, broker, app, mqttPort, httpPort, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/**
 * Budget of one analytics tick (every 25 ms): at most a 15 ms stall for ingest, yet about 60 %
 * of the loop for analytics while a backlog drains; when caught up a tick costs one query.
 */
const ANALYTICS_TICK_MS = 15;

function runAnalytics(runner: OperatorRunner, log: Logger): void {
  const started = performance.now();
  try {
    while (performance.now() - started < ANALYTICS_TICK_MS && runner.step() > 0);
  } catch (err) {
    log.error({ err }, 'analytics step failed; retrying from the last checkpoint');
  }
}

function maintain(store: Store, log: Logger): void {
  try {
    store.rollups.catchUp(20);
    const deleted = store.retention.run(Date.now());
    if (deleted.raw || deleted.rollups) log.info(deleted, 'retention removed expired rows');
  } catch (err) {
    log.error({ err }, 'log maintenance failed; will retry');
  }
}

function warnAboutAccess(index: PlantIndex, credentials: DeviceCredentials, log: Logger): void {
  if (index.model.mqtt.allowAnonymous) {
    log.warn(
      '!!! ANONYMOUS MQTT ACCESS IS ON (mqtt.allowAnonymous: true): any client on the network may publish readings. Use only for a demo; turn it off and give each device credentials with `plantpulse devices add`. !!!',
    );
  }
  if (!index.model.mqtt.allowAnonymous) {
    const orphans = [
      ...index.sensors.filter((s) => !s.device).map((s) => s.topic),
      ...index.lines.filter((l) => !l.device).map((l) => l.batchTopic),
    ];
    if (orphans.length > 0) {
      log.warn(
        { topics: orphans.slice(0, 20), count: orphans.length },
        'no device prefix covers these topics, so nobody can publish them; check the devices: prefixes in the plant model',
      );
    }
  }
  const missing = [...index.devices.keys()].filter((d) => !credentials.has(d));
  if (missing.length > 0) {
    log.warn(
      { devices: missing },
      `${missing.length} device(s) of the plant model have no credentials and cannot connect; run \`plantpulse devices add --device ID\``,
    );
  }
  log.warn(
    'the HTTP API does not yet require tokens (roles are declared per route; enforcement comes with the security work): keep it on a trusted network',
  );
}
