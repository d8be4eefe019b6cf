/**
 * The one subscriber of the Mosquitto baseline, on its own worker thread: subscribes to
 * `plants/#` at QoS 1, counts every PUBLISH delivered and answers each with PUBACK (§4.3.2), so
 * the broker does the full QoS 1 routing work to a consumer. The count goes to a
 * SharedArrayBuffer slot the main thread reads.
 */
import { connect } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { threadTid } from './proc.js';
import {
  DISCONNECT,
  createReader,
  encodeConnect,
  encodeSubscribe,
  generatePuback,
  writePuback,
  type Codec,
} from './mqtt-wire.js';

export interface SubscriberConfig {
  host: string;
  port: number;
  topic: string;
  codec: Codec;
  counters: SharedArrayBuffer;
  slot: number;
}

export type SubscriberReport =
  | { type: 'ready'; tid: number }
  | { type: 'error'; message: string }
  | { type: 'closed'; delivered: number };

const cfg = workerData as SubscriberConfig;
const port = parentPort!;
const counters = new Int32Array(cfg.counters);
let delivered = 0;
let acks: number[] = [];

const socket = connect({ host: cfg.host, port: cfg.port, noDelay: true }, () =>
  socket.write(encodeConnect('bench-subscriber')),
);
const reader = createReader(cfg.codec, {
  puback: () => undefined,
  publish: (id, qos) => {
    delivered++;
    if (qos > 0) acks.push(id);
  },
  packet: (p) => {
    if (p.cmd === 'connack') {
      if (p.returnCode !== 0) fail(`CONNACK return code ${p.returnCode}`);
      else socket.write(encodeSubscribe(1, cfg.topic, 1));
    } else if (p.cmd === 'suback') {
      if (p.granted[0] !== 1) fail(`SUBACK granted ${String(p.granted[0])}, wanted QoS 1`);
      else port.postMessage({ type: 'ready', tid: threadTid() } satisfies SubscriberReport);
    }
  },
  error: (err) => fail(err.message),
});

socket.on('data', (chunk: Buffer) => {
  reader.push(chunk);
  if (acks.length > 0) {
    let out: Buffer;
    if (cfg.codec === 'fast') {
      out = Buffer.allocUnsafe(acks.length * 4);
      let off = 0;
      for (const id of acks) off = writePuback(out, off, id);
    } else {
      out = Buffer.concat(acks.map(generatePuback));
    }
    acks = [];
    socket.write(out);
  }
  Atomics.store(counters, cfg.slot, delivered);
});
socket.on('error', (err) => fail(err.message));

function fail(message: string): void {
  port.postMessage({ type: 'error', message: `subscriber: ${message}` } satisfies SubscriberReport);
  socket.destroy();
}

port.on('message', (msg: { cmd: 'close' }) => {
  if (msg.cmd !== 'close') return;
  socket.end(DISCONNECT);
  const done = () => {
    port.postMessage({ type: 'closed', delivered } satisfies SubscriberReport);
    port.close();
  };
  if (socket.closed) done();
  else {
    socket.once('close', done);
    setTimeout(done, 2000).unref();
  }
});
