/**
 * Prometheus metrics for /metrics. One registry per PlantPulse instance (no global state), so
 * several instances can live in one test process.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  const m = {
    registry,
    messagesIn: new Counter({
      name: 'plantpulse_mqtt_messages_in_total',
      help: 'MQTT PUBLISH packets received from devices',
      registers: [registry],
    }),
    readingsStored: new Counter({
      name: 'plantpulse_readings_stored_total',
      help: 'Log rows written (readings, waveform blocks, batch events)',
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'plantpulse_readings_duplicate_total',
      help: 'Readings ignored because (sensor, timestamp) was already stored',
      registers: [registry],
    }),
    rejects: new Counter({
      name: 'plantpulse_rejects_total',
      help: 'Rejected readings or messages, by reason code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'plantpulse_dead_letters_total',
      help: 'Dead-letter records written',
      registers: [registry],
    }),
    commitSeconds: new Histogram({
      name: 'plantpulse_commit_duration_seconds',
      help: 'Duration of one group commit (transaction including fsync)',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    commitRows: new Histogram({
      name: 'plantpulse_commit_rows',
      help: 'Rows per group commit',
      buckets: [1, 10, 100, 1000, 5000, 20000],
      registers: [registry],
    }),
    commitErrors: new Counter({
      name: 'plantpulse_commit_errors_total',
      help: 'Failed group commits (nothing acknowledged)',
      registers: [registry],
    }),
    connections: new Gauge({
      name: 'plantpulse_mqtt_connections',
      help: 'Open MQTT client connections',
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'plantpulse_mqtt_auth_failures_total',
      help: 'Refused MQTT connections, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    aclDenied: new Counter({
      name: 'plantpulse_mqtt_acl_denied_total',
      help: 'Publishes or subscriptions refused by the topic ACL',
      labelNames: ['action'] as const,
      registers: [registry],
    }),
    logBytes: new Gauge({
      name: 'plantpulse_log_size_bytes',
      help: 'Size of the local log files (database + WAL)',
      registers: [registry],
    }),
    logPosition: new Gauge({
      name: 'plantpulse_log_position',
      help: 'Highest position in the local log',
      registers: [registry],
    }),
    // InfluxDB sink (sinks/influx).
    influxShippedLines: new Counter({
      name: 'plantpulse_influx_shipped_lines_total',
      help: 'Lines InfluxDB confirmed (2xx)',
      registers: [registry],
    }),
    influxShipRate: new Gauge({
      name: 'plantpulse_influx_shipped_lines_per_second',
      help: 'Lines confirmed per second over the last metrics interval of the sink',
      registers: [registry],
    }),
    influxBacklogLines: new Gauge({
      name: 'plantpulse_influx_backlog_lines',
      help: 'Log positions after the sink cursor (an upper bound on the rows still to ship)',
      registers: [registry],
    }),
    influxBacklogAge: new Gauge({
      name: 'plantpulse_influx_backlog_age_seconds',
      help: 'Age of the oldest unshipped log row (0 when caught up)',
      registers: [registry],
    }),
    influxWriteErrors: new Counter({
      name: 'plantpulse_influx_write_errors_total',
      help: 'Failed write requests, by HTTP status or "network"',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    influxLastError: new Gauge({
      name: 'plantpulse_influx_last_error_timestamp_seconds',
      help: 'Time of the last failed write (0 = none since start); the message is in /health',
      registers: [registry],
    }),
    influxDeadLetters: new Counter({
      name: 'plantpulse_influx_dead_letters_total',
      help: 'Lines InfluxDB rejected as bad data, kept in the dead-letter table',
      registers: [registry],
    }),
    alertNotifications: new Counter({
      name: 'plantpulse_alert_notifications_total',
      help: 'Alert notification delivery attempts, by channel and result (sent, failed, dead)',
      labelNames: ['channel', 'result'] as const,
      registers: [registry],
    }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
