/**
 * Publishes a simulated (or replayed) stream as the plant's real devices: one MQTT.js client
 * per device with its own credentials, QoS 1, a bounded number of messages awaiting PUBACK
 * (PlantPulse acknowledges only after its group commit, so the window is what keeps the pipe
 * full), and pacing by event time: as fast as acknowledged, at `speed`× real time, or in real
 * time (speed 1). A gateway-offline marker really closes that device's connection.
 */
import { connect, type MqttClient } from 'mqtt';
import type { SimEvent } from './stream.js';

export interface PublisherOptions {
  url: string;
  /** deviceId → secret; devices missing here connect anonymously (works only if the plant allows it). */
  credentials: Record<string, string>;
  /** Messages awaiting PUBACK across all clients. */
  maxInFlight?: number;
  /** Event-time pacing: undefined = as fast as the broker acknowledges. */
  speed?: number;
  /** Event time that maps to the start of the run (for pacing). */
  pacingFrom?: number;
  onProgress?: (p: PublishProgress) => void;
  log?: (msg: string) => void;
  signal?: AbortSignal;
}

export interface PublishProgress {
  at: number;
  messages: number;
  readings: number;
}

interface DeviceClient {
  client: MqttClient;
  inFlight: number;
  idle: (() => void)[];
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export class Publisher {
  private readonly clients = new Map<string, DeviceClient>();
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private failure: Error | undefined;
  readonly progress: PublishProgress = { at: 0, messages: 0, readings: 0 };

  constructor(private readonly opts: PublisherOptions) {}

  async run(events: Iterable<SimEvent>): Promise<PublishProgress> {
    const max = this.opts.maxInFlight ?? 2000;
    const wallStart = Date.now();
    let lastReport = 0;
    for (const e of events) {
      if (this.opts.signal?.aborted) break;
      if (this.failure) throw this.failure;
      if (this.opts.speed !== undefined && this.opts.pacingFrom !== undefined) {
        const due = wallStart + (e.at - this.opts.pacingFrom) / this.opts.speed;
        const wait = due - Date.now();
        if (wait > 2) await sleep(wait, this.opts.signal);
        if (this.opts.signal?.aborted) break;
      }
      if (e.type === 'gateway') {
        await this.gateway(e.device, e.online);
        continue;
      }
      const dc = await this.client(e.device);
      while (this.inFlight >= max) await new Promise<void>((r) => this.waiters.push(r));
      this.inFlight++;
      dc.inFlight++;
      dc.client.publish(e.topic, e.payload, { qos: 1 }, (err) => {
        if (err && !this.failure)
          this.failure = new Error(`publish to ${e.topic} failed: ${err.message}`);
        this.inFlight--;
        dc.inFlight--;
        this.waiters.shift()?.();
        if (dc.inFlight === 0) for (const r of dc.idle.splice(0)) r();
      });
      this.progress.at = e.at;
      this.progress.messages++;
      this.progress.readings += e.readings;
      const now = Date.now();
      if (this.opts.onProgress && now - lastReport > 200) {
        lastReport = now;
        this.opts.onProgress(this.progress);
      }
    }
    await this.drain();
    if (this.failure) throw this.failure;
    this.opts.onProgress?.(this.progress);
    return this.progress;
  }

  /** Waits until every published message has its PUBACK. */
  async drain(): Promise<void> {
    while (this.inFlight > 0 && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.clients.values()].map((c) => c.client.endAsync().catch(() => undefined)),
    );
    this.clients.clear();
  }

  private async gateway(device: string, online: boolean): Promise<void> {
    const dc = this.clients.get(device);
    if (online || !dc) return; // the next message of the device reconnects it
    this.opts.log?.(
      `gateway ${device} goes offline (simulated uplink loss); its backlog is flushed on reconnect`,
    );
    if (dc.inFlight > 0) await new Promise<void>((r) => dc.idle.push(r));
    this.clients.delete(device);
    await dc.client.endAsync().catch(() => undefined);
  }

  private async client(device: string | undefined): Promise<DeviceClient> {
    const key = device ?? '';
    const existing = this.clients.get(key);
    if (existing) return existing;
    const secret = device ? this.opts.credentials[device] : undefined;
    const client = await new Promise<MqttClient>((resolve, reject) => {
      const c = connect(this.opts.url, {
        protocolVersion: 4,
        clean: true,
        reconnectPeriod: 1000,
        connectTimeout: 15_000,
        clientId: `${device ?? 'anonymous'}-sim-${process.pid}`,
        ...(device && secret !== undefined ? { username: device, password: secret } : {}),
      });
      const onError = (err: Error) => {
        c.end(true);
        const hint =
          device && secret === undefined
            ? ` (no secret for device "${device}": pass --credentials FILE or --provision --data-dir DIR)`
            : '';
        reject(
          new Error(
            `device ${device ?? '(anonymous)'} could not connect to ${this.opts.url}: ${err.message}${hint}`,
          ),
        );
      };
      c.once('connect', () => {
        c.off('error', onError);
        c.on('error', (err) => this.opts.log?.(`MQTT client ${device}: ${err.message}`));
        resolve(c);
      });
      c.once('error', onError);
    });
    const dc: DeviceClient = { client, inFlight: 0, idle: [] };
    this.clients.set(key, dc);
    return dc;
  }
}
