/**
 * Delivers the transactional outbox (tables.ts). The alert operator writes a notification row
 * in the same transaction as the transition it announces; the dispatcher polls due rows,
 * delivers each to its channel and marks it sent right after the channel confirmed (SMTP 250,
 * HTTP 2xx, MQTT publish done). Delivery is therefore at-least-once: a crash (SIGKILL) between
 * the receiver's confirmation and the mark-sent UPDATE — a window of one local SQLite write —
 * resends the notification after restart, with the same idempotency key (webhook
 * `Idempotency-Key` header, e-mail Message-ID, MQTT payload `key`), so a receiver that keys on
 * it sees it exactly once. Nothing is lost: an undelivered row stays pending across restarts.
 *
 * Per channel: a token bucket (rate limit), exponential backoff with jitter between attempts,
 * and after `retry.maxAttempts` failures (or one permanent refusal) the row turns `dead`, with
 * its last error, visible in the API (GET /api/v1/alerts/notifications?state=dead).
 */
import type Database from 'better-sqlite3';
import type { ChannelConfig } from '../config/alerts-schema.js';
import { formatDuration } from '../config/duration.js';
import type { PlantIndex } from '../config/plant-index.js';
import type { Logger } from '../runtime/logger.js';
import type { Metrics } from '../runtime/metrics.js';
import { createChannel, DeliveryError, type Channel, type MqttPublish } from './channels.js';
import { backoffMs, TokenBucket } from './delivery-policy.js';
import { currentStates } from './retained.js';
import { ALERT_TABLES, type Notification } from './tables.js';

/** How long stop() waits for deliveries in flight before aborting them. */
const STOP_GRACE_MS = 2_000;

interface OutboxRow {
  key: string;
  channel: string;
  payload: string;
  attempts: number;
}

export interface DispatcherOptions {
  db: Database.Database;
  index: PlantIndex;
  log?: Logger;
  metrics?: Pick<Metrics, 'alertNotifications'>;
  mqttPublish?: MqttPublish;
  env?: NodeJS.ProcessEnv;
  /** Poll interval (default: alerts.dispatchInterval). */
  intervalMs?: number;
  now?: () => number;
  random?: () => number;
}

interface Lane {
  cfg: ChannelConfig;
  channel: Channel;
  bucket: TokenBucket;
}

export class AlertDispatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly due: Database.Statement<[number], OutboxRow>;
  private readonly skip: Database.Statement;
  private readonly sent: Database.Statement;
  private readonly failed: Database.Statement;
  private readonly defer: Database.Statement;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private readonly now: () => number;
  private readonly shutdown = new AbortController();

  constructor(private readonly opts: DispatcherOptions) {
    this.now = opts.now ?? Date.now;
    // The operator normally creates the tables; a dispatcher started first must not fail on them.
    opts.db.exec(ALERT_TABLES);
    for (const cfg of opts.index.model.alerts.channels) {
      if (!cfg.enabled) continue;
      this.lanes.set(cfg.id, {
        cfg,
        channel: createChannel(cfg, {
          index: opts.index,
          env: opts.env,
          mqttPublish: opts.mqttPublish,
        }),
        bucket: new TokenBucket(cfg.rateLimit.perMinute, cfg.rateLimit.burst, this.now()),
      });
    }
    this.due = opts.db.prepare(
      `SELECT key, channel, payload, attempts FROM alert_outbox
        WHERE state = 'pending' AND next_at <= ? ORDER BY event_ts, key LIMIT 200`,
    );
    this.sent = opts.db.prepare(
      `UPDATE alert_outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL
        WHERE key = ? AND channel = ?`,
    );
    this.failed = opts.db.prepare(
      `UPDATE alert_outbox SET state = ?, attempts = ?, next_at = ?, last_error = ? WHERE key = ? AND channel = ?`,
    );
    this.skip = opts.db.prepare(
      `UPDATE alert_outbox SET state = 'dead', last_error = ? WHERE state = 'pending' AND event_ts < ?`,
    );
    this.defer = opts.db.prepare(
      'UPDATE alert_outbox SET next_at = ? WHERE key = ? AND channel = ?',
    );
  }

  start(): void {
    const every = this.opts.intervalMs ?? this.opts.index.model.alerts.dispatchInterval;
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
    // After the first pass, so a pending older transition cannot overwrite the current state.
    void this.tick()
      .catch(() => 0)
      .then(() => this.republishRetained());
  }

  /** Puts every open, acknowledged or resolved alert back on the retained MQTT topics. */
  async republishRetained(): Promise<number> {
    const lanes = [...this.lanes.values()].filter((l) => l.cfg.type === 'mqtt' && l.cfg.retain);
    if (lanes.length === 0) return 0;
    let n = 0;
    for (const note of currentStates(this.opts.db, this.opts.index)) {
      const rule = this.opts.index.model.alerts.rules.find((r) => r.id === note.alert.rule);
      for (const lane of lanes) {
        if (!rule?.channels.includes(lane.cfg.id)) continue;
        try {
          await lane.channel.deliver(note);
          n++;
        } catch (err) {
          this.opts.log?.warn(
            { channel: lane.cfg.id, alert: note.alert.id, err: (err as Error).message },
            'could not restore the retained alert state',
          );
        }
      }
    }
    return n;
  }

  /** One pass over the due rows; concurrent calls share the pass in progress. */
  tick(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops polling, waits for the deliveries in flight, closes the channels. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Give deliveries in flight a moment, then cut them off: their rows stay pending and go
    // out after the restart with the same idempotency key.
    const grace = new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref());
    await Promise.race([this.running?.catch(() => undefined), grace]);
    this.shutdown.abort();
    await this.running?.catch(() => undefined);
    for (const lane of this.lanes.values()) await lane.channel.close().catch(() => undefined);
  }

  private async pass(): Promise<number> {
    const maxAge = this.opts.index.model.alerts.skipOlderThan;
    if (maxAge !== undefined) {
      // A backfill or replay of old readings raises old alerts: record them, do not page anyone.
      const reason = `older than alerts.skipOlderThan (${formatDuration(maxAge)}); not sent`;
      this.skip.run(reason, this.now() - maxAge);
    }
    const rows = this.due.all(this.now());
    const byChannel = new Map<string, OutboxRow[]>();
    for (const r of rows)
      (byChannel.get(r.channel) ?? byChannel.set(r.channel, []).get(r.channel)!).push(r);
    const counts = await Promise.all([...byChannel].map(([id, list]) => this.drain(id, list)));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** One channel's rows in order: a failure defers the rest of the lane to the next pass. */
  private async drain(id: string, rows: OutboxRow[]): Promise<number> {
    const lane = this.lanes.get(id);
    let delivered = 0;
    for (const row of rows) {
      if (this.shutdown.signal.aborted) break;
      const now = this.now();
      if (!lane) {
        this.failed.run(
          'dead',
          row.attempts,
          now,
          `channel "${id}" is not configured or disabled`,
          row.key,
          id,
        );
        continue;
      }
      if (!lane.bucket.take(now)) {
        this.defer.run(now + lane.bucket.waitMs(now), row.key, id);
        continue;
      }
      try {
        await lane.channel.deliver(JSON.parse(row.payload) as Notification, this.shutdown.signal);
        this.sent.run(this.now(), row.key, id);
        this.opts.metrics?.alertNotifications.inc({ channel: id, result: 'sent' });
        delivered++;
      } catch (err) {
        if (this.shutdown.signal.aborted) break; // cut off by stop(): not an attempt that failed
        const attempts = row.attempts + 1;
        const retryable = !(err instanceof DeliveryError) || err.retryable;
        const dead = !retryable || attempts >= lane.cfg.retry.maxAttempts;
        const next =
          this.now() + (dead ? 0 : backoffMs(attempts, lane.cfg.retry, this.opts.random));
        const message = (err as Error).message;
        this.failed.run(dead ? 'dead' : 'pending', attempts, next, message, row.key, id);
        this.opts.metrics?.alertNotifications.inc({
          channel: id,
          result: dead ? 'dead' : 'failed',
        });
        this.opts.log?.warn(
          { channel: id, key: row.key, attempts, dead, err: message },
          dead ? 'alert notification is dead: giving up' : 'alert notification failed; will retry',
        );
        if (retryable) break; // the receiver is unwell: keep this lane's order, try again later
      }
    }
    return delivered;
  }
}
