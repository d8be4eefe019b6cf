/**
 * Just enough MQTT 3.1.1 framing (§2.2 fixed header, §3.1 CONNECT, §3.3 PUBLISH) to talk to the
 * broker over a raw TCP socket, for the cases a well-behaved client library will not produce:
 * a fixed header announcing a huge packet, or a connection that is never upgraded to MQTT.
 */
import { connect, type Socket } from 'node:net';

/** Remaining Length encoding (§2.2.3): 7 bits per byte, high bit = more bytes follow. */
export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let digit = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) digit |= 0x80;
    out.push(digit);
  } while (n > 0);
  return Buffer.from(out);
}

const str = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};

export function connectPacket(clientId: string, username: string, password: string): Buffer {
  const variable = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 60])]); // level 4; user name, password, clean session; keep-alive 60 s
  const body = Buffer.concat([variable, str(clientId), str(username), str(password)]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** The first bytes of a QoS 1 PUBLISH whose fixed header announces `announced` bytes. */
export function publishHead(topic: string, announced: number, messageId = 1): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(messageId);
  return Buffer.concat([Buffer.from([0x32]), remainingLength(announced), str(topic), id]);
}

export interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves when the peer closed the connection. */
  closed: Promise<void>;
  /** Resolves once at least `n` bytes have been received (rejects if the socket closes first). */
  receivedAtLeast(n: number): Promise<Buffer>;
}

export function rawConnect(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const waiters: (() => void)[] = [];
    socket.on('data', (d) => {
      chunks.push(d);
      for (const w of waiters.splice(0)) w();
    });
    socket.on('error', () => undefined); // a reset by the server shows as 'close'
    const closed = new Promise<void>((res) => socket.once('close', () => res()));
    void closed.then(() => {
      for (const w of waiters.splice(0)) w();
    });
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    const received = () => Buffer.concat(chunks);
    socket.once('connect', () =>
      resolve({
        socket,
        received,
        closed,
        receivedAtLeast(n) {
          return new Promise((res, rej) => {
            const check = () => {
              if (received().length >= n) return res(received());
              if (isClosed)
                return rej(new Error(`connection closed after ${received().length} bytes`));
              waiters.push(check);
            };
            check();
          });
        },
      }),
    );
    socket.once('error', reject);
  });
}
