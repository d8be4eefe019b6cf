/**
 * Load for the crash test: MQTT.js publishers that behave like a careful device.
 *
 * - A `Ledger` per sensor remembers every reading ever published (ts = base + seq, a value that
 *   encodes seq), how often the test called publish() for it, how often MQTT.js wrote it to the
 *   socket, and whether (and in which crash epoch) a PUBACK arrived for it.
 * - A `Publisher` is one MQTT.js client (fixed clientId, QoS 1) streaming new readings of one
 *   sensor as fast as a bounded in-flight window allows. With clean:false MQTT.js keeps
 *   unacknowledged PUBLISH packets in its outgoing store and writes them again after it
 *   reconnects; those writes are counted as client resends.
 * - MQTT.js fails a publish() with "Connection closed" when the connection drops while the
 *   publish was still queued behind the store replay (it never reached the store). Such a
 *   reading is not acknowledged, so the publisher publishes it again, as a device that resends
 *   what was not acknowledged would.
 */
import mqtt, { type IClientOptions, type MqttClient, type Packet } from 'mqtt';

export interface SensorSpec {
  /** Series key in the log: site/line/machine/sensor. */
  key: string;
  topic: string;
  device: string;
  secret: string;
  /** Value sent for `seq`, in the sensor's declared unit. */
  sentValue(seq: number): number;
  /** Value the log must hold for `seq`, in the canonical unit. */
  storedValue(seq: number): number;
}

export interface Reading {
  seq: number;
  ts: number;
  /** publish() calls made by the test for this reading. */
  calls: number;
  /** PUBLISH packets MQTT.js wrote to a socket for this reading. */
  sends: number;
  /** Successful publish callbacks (PUBACK received). */
  acks: number;
  /** Crash epoch (kills completed so far) when the first PUBACK was seen; undefined: never acknowledged. */
  firstAckEpoch: number | undefined;
}

/** The number of SIGKILLs completed so far, shared by all publishers. */
export interface CrashClock {
  epoch: number;
}

export class Ledger {
  readonly readings: Reading[] = [];

  constructor(
    readonly spec: SensorSpec,
    readonly base: number,
  ) {}

  next(): Reading {
    const seq = this.readings.length;
    const r: Reading = {
      seq,
      ts: this.base + seq,
      calls: 0,
      sends: 0,
      acks: 0,
      firstAckEpoch: undefined,
    };
    this.readings.push(r);
    return r;
  }

  payload(r: Reading): string {
    return JSON.stringify({ ts: r.ts, v: this.spec.sentValue(r.seq) });
  }

  /** The reading a PUBLISH packet of this sensor carries (parsed from the payload). */
  fromPacket(payload: Buffer | string): Reading | undefined {
    const m = /"ts":(\d+)/.exec(typeof payload === 'string' ? payload : payload.toString('utf8'));
    return m ? this.readings[Number(m[1]) - this.base] : undefined;
  }

  get acknowledged(): Reading[] {
    return this.readings.filter((r) => r.acks > 0);
  }

  get unacknowledged(): Reading[] {
    return this.readings.filter((r) => r.acks === 0);
  }

  /** PUBLISH writes beyond one per publish() call: MQTT.js replaying its outgoing store. */
  get clientResends(): number {
    return this.readings.reduce((n, r) => n + Math.max(0, r.sends - r.calls), 0);
  }
}

export interface PublisherOptions {
  url: string;
  clientId: string;
  clean: boolean;
  /** Maximum publishes awaiting their callback. */
  window: number;
  reconnectPeriodMs: number;
  clock: CrashClock;
}

export class Publisher {
  readonly client: MqttClient;
  /** Publishes whose callback has not come yet. */
  inflight = 0;
  /** Publishes that failed with an error and were queued to be published again. */
  republishedAfterError = 0;
  /** Accepted CONNACKs (first connection and every reconnect). */
  connects = 0;
  errors = 0;
  lastError: string | undefined;
  private producing = false;
  private closed = false;
  private readonly retry: Reading[] = [];
  private pumpScheduled = false;

  constructor(
    readonly ledger: Ledger,
    private readonly opts: PublisherOptions,
  ) {
    const options: IClientOptions = {
      clientId: opts.clientId,
      clean: opts.clean,
      username: ledger.spec.device,
      password: ledger.spec.secret,
      protocolVersion: 4,
      reconnectPeriod: opts.reconnectPeriodMs,
      connectTimeout: 5_000,
      keepalive: 30,
    };
    this.client = mqtt.connect(opts.url, options);
    // MQTT.js emits 'connect' only after replaying its outgoing store; count accepted CONNACKs instead.
    this.client.on('packetreceive', (packet: Packet) => {
      if (packet.cmd === 'connack' && !packet.returnCode && !packet.reasonCode) this.connects++;
    });
    this.client.on('connect', () => this.schedulePump());
    // ECONNREFUSED while the broker is down, ECONNRESET on a kill: the reconnect loop handles them.
    this.client.on('error', (err) => {
      this.errors++;
      this.lastError = err.message;
    });
    this.client.on('packetsend', (packet: Packet) => {
      if (packet.cmd !== 'publish' || packet.topic !== ledger.spec.topic) return;
      const r = ledger.fromPacket(packet.payload);
      if (r) r.sends++;
    });
  }

  /** Streams new readings until `stopProducing`. */
  startProducing(): void {
    this.producing = true;
    this.schedulePump();
  }

  stopProducing(): void {
    this.producing = false;
  }

  /** Publishes these (already published, unacknowledged) readings again. */
  republish(readings: Reading[]): void {
    this.retry.push(...readings);
    this.schedulePump();
  }

  /** Nothing waiting for a PUBACK and nothing queued for republishing. */
  get idle(): boolean {
    return this.inflight === 0 && this.retry.length === 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.producing = false;
    await this.client.endAsync(true);
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    // Never publish from inside an MQTT.js callback: some of them iterate queues we would grow.
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.closed && this.inflight < this.opts.window) {
      const r = this.retry.shift() ?? (this.producing ? this.ledger.next() : undefined);
      if (!r) return;
      this.publish(r);
    }
  }

  private publish(r: Reading): void {
    this.inflight++;
    r.calls++;
    this.client.publish(this.ledger.spec.topic, this.ledger.payload(r), { qos: 1 }, (err) => {
      this.inflight--;
      if (this.closed) return;
      if (err) {
        // Not acknowledged, and (for "Connection closed") not in the outgoing store either:
        // publish it again after a short pause, as a device resends what was not acknowledged.
        this.errors++;
        this.lastError = err.message;
        this.republishedAfterError++;
        setTimeout(() => this.republish([r]), 20);
        return;
      }
      if (r.acks++ === 0) r.firstAckEpoch = this.opts.clock.epoch;
      this.schedulePump();
    });
  }
}

/** Polls `cond` every 20 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
