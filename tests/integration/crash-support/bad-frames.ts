/**
 * Malformed MQTT 3.1.1 frames for the raw-socket fault test: each breaks one rule of the spec
 * that a client library would never break. Built by hand (no library encodes them).
 */
import { connectPacket, remainingLength } from '../support/raw-mqtt.js';
import { mulberry32 } from './prng.js';

const str = (s: string | Buffer) => {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};

/** A CONNECT with the given protocol name and level (§3.1.2.1, §3.1.2.2). */
export function connectWith(
  protocol: string,
  level: number,
  clientId: string,
  user: string,
  pass: string,
): Buffer {
  const variable = Buffer.concat([str(protocol), Buffer.from([level, 0xc2, 0, 60])]);
  const body = Buffer.concat([variable, str(clientId), str(user), str(pass)]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** A PUBLISH with an arbitrary first byte (type, flags) and a raw topic. */
export function publishRaw(first: number, topic: Buffer | string, payload: string): Buffer {
  const id = Buffer.from([0, 1]);
  const qos = (first >> 1) & 3;
  const body = Buffer.concat([str(topic), qos > 0 ? id : Buffer.alloc(0), Buffer.from(payload)]);
  return Buffer.concat([Buffer.from([first]), remainingLength(body.length), body]);
}

export interface BadFrameCase {
  name: string;
  /** Written in order, each as its own write. */
  chunks: Buffer[];
  /** Half-close our side after writing (a truncated packet the peer can never complete). */
  endAfter?: boolean;
}

export function badFrameCases(opts: {
  user: string;
  pass: string;
  topic: string;
  seed: number;
}): BadFrameCase[] {
  const { user, pass, topic } = opts;
  const ok = (id: string) => connectPacket(id, user, pass);
  const reading = JSON.stringify({ ts: Date.now() - 60_000, v: 1 });
  const rng = mulberry32(opts.seed);
  const garbage = (n: number) => Buffer.from(Array.from({ length: n }, () => (rng() * 256) | 0));
  return [
    // §2.2.3: at most four Remaining Length bytes.
    {
      name: 'remaining length of five bytes',
      chunks: [Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f])],
    },
    {
      name: 'remaining length of five bytes after CONNECT',
      chunks: [ok('bad-rl'), Buffer.from([0x32, 0x80, 0x80, 0x80, 0x80, 0x01])],
    },
    {
      name: 'truncated CONNECT, then the client half-closes',
      chunks: [ok('trunc-c').subarray(0, 12)],
      endAfter: true,
    },
    {
      name: 'truncated CONNECT, then silence (connect timeout)',
      chunks: [ok('trunc-c2').subarray(0, 12)],
    },
    {
      name: 'truncated PUBLISH after CONNECT, then half-close',
      chunks: [ok('trunc-p'), publishRaw(0x32, topic, reading).subarray(0, 9)],
      endAfter: true,
    },
    {
      name: 'remaining length shorter than the CONNECT body',
      chunks: [Buffer.concat([Buffer.from([0x10, 6]), ok('short').subarray(2)])],
    },
    // §3.1.2.1 / §3.1.2.2
    { name: 'protocol name "MQTX"', chunks: [connectWith('MQTX', 4, 'proto-name', user, pass)] },
    { name: 'protocol level 9', chunks: [connectWith('MQTT', 9, 'proto-level', user, pass)] },
    { name: 'protocol level 0', chunks: [connectWith('MQTT', 0, 'proto-level0', user, pass)] },
    // §3.1.2.3: the reserved flag of CONNECT must be 0.
    {
      name: 'CONNECT reserved flag set',
      chunks: [
        (() => {
          const b = ok('reserved');
          b[9] = b[9]! | 1;
          return b;
        })(),
      ],
    },
    // Oversized: a fixed header announcing 200 MiB (above mqtt.maxPacketBytes).
    {
      name: 'PUBLISH announcing 200 MiB',
      chunks: [
        ok('huge'),
        Buffer.concat([
          Buffer.from([0x32]),
          remainingLength(200 * 2 ** 20),
          str(topic),
          Buffer.alloc(1024, 0x41),
        ]),
      ],
    },
    {
      name: 'CONNECT announcing 200 MiB',
      chunks: [
        Buffer.concat([Buffer.from([0x10]), remainingLength(200 * 2 ** 20), Buffer.alloc(512, 0)]),
      ],
    },
    // §3.1.0-1: the first packet must be CONNECT.
    { name: 'PUBLISH before CONNECT', chunks: [publishRaw(0x32, topic, reading)] },
    {
      name: 'SUBSCRIBE before CONNECT',
      chunks: [Buffer.from([0x82, 8, 0, 1, 0, 3, 0x61, 0x2f, 0x62, 1])],
    },
    { name: 'PINGREQ before CONNECT', chunks: [Buffer.from([0xc0, 0])] },
    // §3.1.0-2: a second CONNECT is a protocol violation.
    { name: 'second CONNECT on one connection', chunks: [ok('twice'), ok('twice')] },
    // §2.2.1: packet types 0 and 15 are reserved.
    { name: 'reserved packet type 0', chunks: [ok('type0'), Buffer.from([0x00, 0])] },
    { name: 'reserved packet type 15', chunks: [ok('type15'), Buffer.from([0xf0, 0])] },
    // §3.3.1.2: QoS 3 is malformed.
    { name: 'PUBLISH with QoS 3', chunks: [ok('qos3'), publishRaw(0x36, topic, reading)] },
    // §4.7.3 / §3.3.2.1: wildcards in a PUBLISH topic; §1.5.3: invalid UTF-8 in a topic.
    {
      name: 'PUBLISH to a wildcard topic',
      chunks: [ok('wild'), publishRaw(0x32, 'plants/t/l1/#', reading)],
    },
    {
      name: 'PUBLISH with invalid UTF-8 in the topic',
      chunks: [ok('utf8'), publishRaw(0x32, Buffer.from([0x70, 0xc3, 0x28, 0xff]), reading)],
    },
    {
      name: 'PUBLISH with U+0000 in the topic',
      chunks: [ok('nul'), publishRaw(0x32, 'plants/t/l1/m1/po\u0000wer', reading)],
    },
    {
      name: 'PUBLISH with a zero-length topic',
      chunks: [ok('empty-topic'), publishRaw(0x32, '', reading)],
    },
    // Not MQTT at all.
    { name: 'an HTTP request', chunks: [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')] },
    {
      name: 'a TLS ClientHello',
      chunks: [Buffer.from('16030100a5010000a10303', 'hex'), garbage(160)],
    },
    ...Array.from({ length: 12 }, (_, i) => ({
      name: `${64 << (i % 4)} random bytes #${i + 1}`,
      chunks: [garbage(64 << (i % 4))],
    })),
    ...Array.from({ length: 6 }, (_, i) => ({
      name: `CONNECT then ${32 << i} random bytes`,
      chunks: [ok(`rnd-${i}`), garbage(32 << i)],
    })),
  ];
}
