/**
 * One simulated device: a TCP connection speaking MQTT 3.1.1 that keeps up to `window` QoS 1
 * PUBLISH packets in flight and measures publish→PUBACK latency of each one.
 *
 * Packet identifiers come from a free list of 1..window (§2.3.1: an identifier is reusable once
 * its PUBACK arrived), so the send time of an in-flight message is found by its identifier in
 * O(1) whatever order the PUBACKs come back in. All frames due at one moment go out in one
 * socket write.
 */
import { connect, type Socket } from 'node:net';
import type { Histogram } from './histogram.js';
import {
  createReader,
  encodeConnect,
  generatePublishQos1,
  publishFrameSize,
  topicField,
  writePublishHeaderQos1,
  type Codec,
  type PacketReader,
} from './mqtt-wire.js';
import { messagePayload, payloadLength, topicOf, writePayload } from './payload.js';

/** Counters shared by the publishers of one worker. */
export interface PublisherStats {
  latency: Histogram;
  /** Open-loop mode: scheduled send time → PUBACK (includes any wait for the window). */
  lag: Histogram;
  sent: number;
  acked: number;
  /** PUBACKs for no message in flight. */
  protocolErrors: number;
  /** Connections the broker closed during the run (their in-flight messages stay unacknowledged). */
  connectionsLost: number;
  payloadBytes: number;
  frameBytes: number;
}

export interface PublisherOptions {
  index: number;
  window: number;
  readingsPerMessage: number;
  tsBase: number;
  codec: Codec;
  stats: PublisherStats;
}

export class Publisher {
  socket!: Socket;
  inflight = 0;
  /** Open-loop mode: scheduled send times of messages that are due but not sent yet. */
  readonly queue: number[] = [];
  queueHead = 0;
  touched = false;
  /** Called after each read that may have freed window slots (the worker decides what to send). */
  onAcked: ((p: Publisher) => void) | undefined;
  /** Set before a deliberate close, so that it is not counted as a lost connection. */
  closing = false;
  private seq = 0;
  private readonly topic: string;
  private readonly topicBytes: Buffer;
  private readonly payloadBytes: number;
  private readonly frameBytes: number;
  private readonly free: Int32Array;
  private freeTop: number;
  private readonly sentAt: Float64Array;
  private readonly scheduledAt: Float64Array;
  private reader!: PacketReader;
  /** performance.now() of the latest socket read: the receive time of the PUBACKs in it. */
  readAt = 0;

  constructor(private readonly o: PublisherOptions) {
    this.topic = topicOf(o.index);
    this.topicBytes = topicField(this.topic);
    this.payloadBytes = payloadLength(o.readingsPerMessage);
    this.frameBytes = publishFrameSize(this.topicBytes, this.payloadBytes);
    this.free = new Int32Array(o.window);
    for (let i = 0; i < o.window; i++) this.free[i] = o.window - i; // pops 1, 2, 3, …
    this.freeTop = o.window;
    this.sentAt = new Float64Array(o.window + 1);
    this.scheduledAt = new Float64Array(o.window + 1);
  }

  /** Opens the connection and resolves on CONNACK 0 (§3.2.2.3). */
  open(host: string, port: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const clientId = `bench-${this.o.index}`;
      const timer = setTimeout(
        () => fail(new Error(`${clientId}: no CONNACK within ${timeoutMs} ms`)),
        timeoutMs,
      );
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.socket.destroy();
        reject(err);
      };
      this.reader = createReader(this.o.codec, {
        puback: (id) => this.onPuback(id),
        packet: (p) => {
          if (p.cmd === 'connack' && !settled) {
            if (p.returnCode !== 0)
              return fail(new Error(`${clientId}: CONNACK return code ${p.returnCode}`));
            settled = true;
            clearTimeout(timer);
            resolve();
          }
        },
        error: (err) => fail(new Error(`${clientId}: ${err.message}`)),
      });
      this.socket = connect({ host, port, noDelay: true }, () =>
        this.socket.write(encodeConnect(clientId)),
      );
      this.socket.on('data', (chunk: Buffer) => {
        this.readAt = performance.now();
        this.reader.push(chunk);
        if (this.onAcked) this.onAcked(this);
      });
      this.socket.on('error', (err) => fail(new Error(`${clientId}: ${err.message}`)));
      this.socket.on('close', () => {
        if (!settled) fail(new Error(`${clientId}: connection closed before CONNACK`));
        else if (!this.closing) this.o.stats.connectionsLost++;
      });
    });
  }

  private onPuback(id: number): void {
    const sent = id <= this.o.window ? this.sentAt[id]! : 0;
    if (sent === 0) {
      this.o.stats.protocolErrors++; // PUBACK for nothing in flight
      return;
    }
    const s = this.o.stats;
    s.latency.record((this.readAt - sent) * 1000);
    const scheduled = this.scheduledAt[id]!;
    if (scheduled > 0) s.lag.record((this.readAt - scheduled) * 1000);
    this.sentAt[id] = 0;
    this.scheduledAt[id] = 0;
    this.free[this.freeTop++] = id;
    this.inflight--;
    s.acked++;
  }

  get room(): number {
    return this.o.window - this.inflight;
  }

  get backlog(): number {
    return this.queue.length - this.queueHead;
  }

  /**
   * Sends `n` messages (≤ room) in one write. With `fromQueue` they are the oldest due messages
   * of the open-loop schedule, whose scheduled times are kept for the lag histogram.
   */
  send(n: number, now: number, fromQueue: boolean): void {
    if (n <= 0) return;
    const o = this.o;
    let out: Buffer;
    if (o.codec === 'fast') {
      out = Buffer.allocUnsafe(n * this.frameBytes);
      let off = 0;
      for (let k = 0; k < n; k++) {
        off = writePublishHeaderQos1(
          out,
          off,
          this.topicBytes,
          this.take(now, fromQueue),
          this.payloadBytes,
        );
        off = writePayload(out, off, o.tsBase, this.seq + k, o.readingsPerMessage);
      }
    } else {
      const frames: Buffer[] = new Array(n);
      for (let k = 0; k < n; k++) {
        const id = this.take(now, fromQueue);
        frames[k] = generatePublishQos1(
          this.topic,
          id,
          messagePayload(o.tsBase, this.seq + k, o.readingsPerMessage),
        );
      }
      out = n === 1 ? frames[0]! : Buffer.concat(frames);
    }
    this.seq += n;
    this.inflight += n;
    o.stats.sent += n;
    o.stats.payloadBytes += n * this.payloadBytes;
    o.stats.frameBytes += out.length;
    this.socket.write(out);
  }

  private take(now: number, fromQueue: boolean): number {
    const id = this.free[--this.freeTop]!;
    this.sentAt[id] = now;
    if (fromQueue) {
      this.scheduledAt[id] = this.queue[this.queueHead++]!;
      if (this.queueHead === this.queue.length) {
        this.queue.length = 0;
        this.queueHead = 0;
      }
    }
    return id;
  }

  /** Drops due-but-unsent messages (end of an open-loop run); returns how many. */
  dropBacklog(): number {
    const n = this.backlog;
    this.queue.length = 0;
    this.queueHead = 0;
    return n;
  }
}
