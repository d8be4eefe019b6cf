/**
 * Connection floods for the fault test: waves of raw TCP connections that never become useful
 * MQTT clients — silent (never send CONNECT), slowloris (trickle a CONNECT one byte at a time),
 * half-open (half a CONNECT, then silence), and CONNECTs with a wrong password. Each socket
 * records when the server closed it.
 */
import { connect, type Socket } from 'node:net';
import { connectPacket } from '../support/raw-mqtt.js';

export type FloodKind = 'silent' | 'slowloris' | 'half-open' | 'bad-password';
export const FLOOD_KINDS: FloodKind[] = ['silent', 'slowloris', 'half-open', 'bad-password'];

export interface FloodSocket {
  kind: FloodKind;
  openedAt: number;
  /** Server closed (or reset) it; undefined while open. */
  closedAt: number | undefined;
  /** Bytes the server sent (a CONNACK refusal for bad passwords). */
  received: number;
  /** Connected at the TCP level before being closed. */
  connected: boolean;
}

export class Flood {
  readonly sockets: FloodSocket[] = [];
  private readonly live = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly port: number,
    private readonly device: { user: string; pass: string },
  ) {}

  /** Opens `n` connections of each kind in turn. */
  wave(n: number): void {
    for (let i = 0; i < n; i++) this.open(FLOOD_KINDS[i % FLOOD_KINDS.length]!);
  }

  private open(kind: FloodKind): void {
    const rec: FloodSocket = {
      kind,
      openedAt: Date.now(),
      closedAt: undefined,
      received: 0,
      connected: false,
    };
    this.sockets.push(rec);
    const socket = connect({ host: '127.0.0.1', port: this.port });
    this.live.add(socket);
    socket.on('error', () => undefined);
    socket.on('data', (d) => (rec.received += d.length));
    socket.once('close', () => {
      rec.closedAt = Date.now();
      this.live.delete(socket);
    });
    socket.once('connect', () => {
      rec.connected = true;
      const hello = connectPacket(
        `flood-${this.sockets.length}`,
        this.device.user,
        kind === 'bad-password' ? 'wrong' : this.device.pass,
      );
      if (kind === 'half-open') socket.write(hello.subarray(0, hello.length >> 1));
      if (kind === 'bad-password') socket.write(hello);
      if (kind === 'slowloris') {
        let i = 0;
        const timer = setInterval(() => {
          if (socket.destroyed || i >= hello.length - 1) return clearInterval(timer);
          socket.write(hello.subarray(i, ++i));
        }, 250);
        this.timers.add(timer);
      }
    });
  }

  get openCount(): number {
    return this.live.size;
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    for (const s of this.live) s.destroy();
  }
}
