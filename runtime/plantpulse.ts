/**
 * One PlantPulse process on the embedded default: plant model → local log → ingest → broker →
 * API, plus the log maintenance loop (rollups, retention). `startPlantPulse` opens them in that
 * order and `stop` closes them in reverse, flushing the log before it closes.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { AlertDispatcher } from '../alerts/dispatcher.js';
import { AnalyticsHost } from '../analytics/host.js';

import { buildApp } from '../api/app.js';
import { DeviceCredentials } from '../broker/credentials.js';
import type { BrokerContext } from '../broker/context.js';
import { EmbeddedBroker, transportOptions } from '../broker/server.js';
import { bootstrapAdminToken } from '../security/bootstrap.js';
import { loadPlantModel } from '../config/load.js';
import { buildPlantIndex, type PlantIndex } from '../config/plant-index.js';
import { Ingestor } from '../ingest/ingestor.js';
import { startSinks, type RunningSinks } from '../sinks/index.js';
import { IngestSignal } from '../store/ingest-signal.js';
import { openStore, type Store } from '../store/store.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';

const WAL_SAFETY_NET_PAGES = 100_000;

export interface StartOptions {
  configFile: string;
  dataDir: string;
  /** Override mqtt.port / http.port of the plant model (0 = ephemeral). */
  mqttPort?: number;
  httpPort?: number;
  log?: Logger;
  /** Operator bootstrap: installed (hashed) as admin token "bootstrap-admin" (env PLANTPULSE_BOOTSTRAP_ADMIN_TOKEN). */
  bootstrapAdminToken?: string;
}

export interface RunningPlantPulse {
  index: PlantIndex;
  store: Store;
  metrics: Metrics;
  broker: EmbeddedBroker;
  app: FastifyInstance;
  mqttPort: number;
  httpPort: number;
  /** MQTT over TLS / WebSocket ports, when configured. */
  mqttTlsPort?: number;
  mqttWsPort?: number;
  stop(): Promise<void>;
}

export async function startPlantPulse(opts: StartOptions): Promise<RunningPlantPulse> {
  const log = opts.log ?? createLogger();
  const model = loadPlantModel(opts.configFile);
  const index = buildPlantIndex(model, opts.configFile);
  const metrics = createMetrics();
  const startedAt = Date.now();

  const ingestSignal = new IngestSignal();
  const store = openStore({
    ingestSignal,
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
  let analytics: AnalyticsHost | undefined;
  let sinks: RunningSinks | undefined; // sinks (InfluxDB): started last, stopped before the store closes
  let alertDispatcher: AlertDispatcher | undefined; // alert outbox → channels (alerts/dispatcher.ts)
  const stop = async () => {
    await broker?.stop();
    // The worker saves its checkpoints: a restart then resumes here instead of replaying.
    await analytics?.stop();
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
      audit: store.audit,
      identities: new WeakMap(),
      certDevices: new WeakMap(),
    };
    broker = new EmbeddedBroker(ctx, {
      host: model.mqtt.host,
      port: opts.mqttPort ?? model.mqtt.port,
      maxPacketBytes: model.mqtt.maxPacketBytes,
      maxConnections: model.mqtt.maxConnections,
      keepaliveLimitSeconds: model.mqtt.keepaliveLimitSeconds,
      connectTimeoutMs: model.mqtt.connectTimeout,
      ...transportOptions(model.mqtt, opts.configFile),
    });
    const mqttPort = await broker.start();
    const { tls: mqttTlsPort, ws: mqttWsPort } = broker.ports;
    if (opts.bootstrapAdminToken) bootstrapAdminToken(store, opts.bootstrapAdminToken, log);

    app = await buildApp({
      index,
      store,
      metrics,
      log,
      dataDir: opts.dataDir,
      configFile: opts.configFile,
      startedAt,
      analyticsPositions: () => analytics?.positions() ?? {},
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

    // Analytics runs in a worker thread on its own connection (analytics/worker.ts).
    analytics = new AnalyticsHost({
      configFile: opts.configFile,
      dataDir: opts.dataDir,
      log,
      ingestSignal,
    });
    await analytics.start();
    // The worker now checkpoints the WAL every second; the ingest connection keeps only a far
    // threshold (~400 MB of WAL) as a safety net for a worker that is down.
    store.db.pragma(`wal_autocheckpoint = ${WAL_SAFETY_NET_PAGES}`);
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
        mqttTlsPort,
        mqttWsPort,
        httpPort,
        dataDir: opts.dataDir,
        sensors: index.sensors.length,
        devices: index.devices.size,
        durability: model.ingest.durability,
      },
      'PlantPulse ready',
    );
    return {
      index,
      store,
      metrics,
      broker,
      app,
      mqttPort,
      httpPort,
      mqttTlsPort,
      mqttWsPort,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
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
}
