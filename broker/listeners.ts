/**
 * The broker's listeners besides plain TCP: MQTT over TLS (mqtts, 8883; optionally mutual TLS)
 * and MQTT over WebSocket (ws/wss). Each hands its connections to one `accept` function so the
 * same packet-size guard and bookkeeping apply to every transport.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';

export type Accept = (conn: Duplex, remote: string | undefined, req?: IncomingMessage) => void;

export interface Listener {
  port: number;
  close(): Promise<void>;
}

export async function listen(
  server: Server | HttpServer,
  port: number,
  host: string,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

const closeServer = (server: Server | HttpServer) =>
  new Promise<void>((resolve) => server.close(() => resolve()));

/**
 * mqtts. With client certificates "optional", a client whose certificate fails verification
 * (another CA, expired) is dropped here; one without a certificate goes on to password login.
 */
export async function startTlsListener(opts: {
  tls: TlsOptions;
  host: string;
  port: number;
  maxConnections: number;
  onRefused: (socket: TLSSocket, reason: string) => void;
  accept: (socket: TLSSocket) => void;
}): Promise<Listener> {
  const sockets = new Set<TLSSocket>();
  const server = createTlsServer(opts.tls, (socket) => {
    // As on plain TCP: without it Nagle holds small packets (CONNACK, PUBACK) back behind the
    // peer's delayed ACK, ~40 ms each (bench/security.ts measured 18 handshakes/s before this).
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (opts.tls.requestCert && !socket.authorized) {
      const presented = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
      if (presented) {
        opts.onRefused(socket, String(socket.authorizationError));
        socket.destroy();
        return;
      }
    }
    opts.accept(socket);
  });
  server.maxConnections = opts.maxConnections;
  // Handshake failures (old TLS versions, unknown CA with clientCerts "required") end here.
  server.on('tlsClientError', (err, socket) => opts.onRefused(socket, err.message));
  const port = await listen(server, opts.port, opts.host);
  return {
    port,
    async close() {
      const closed = closeServer(server);
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/** MQTT over WebSocket (subprotocol "mqtt", MQTT 3.1.1 §6), on ws:// or, with `tls`, wss://. */
export async function startWebSocketListener(opts: {
  tls?: TlsOptions;
  host: string;
  port: number;
  path: string;
  maxConnections: number;
  accept: Accept;
}): Promise<Listener> {
  const server = opts.tls ? createHttpsServer(opts.tls) : createHttpServer();
  server.maxConnections = opts.maxConnections;
  const wss = new WebSocketServer({
    server,
    path: opts.path,
    // Clients offer "mqtt" (3.1.1) or "mqttv3.1"; answer with the one offered.
    handleProtocols: (protocols) =>
      protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false,
  });
  wss.on('connection', (ws, req) => {
    req.socket.setNoDelay(true);
    const stream = createWebSocketStream(ws);
    stream.on('error', () => ws.terminate());
    opts.accept(stream, req.socket.remoteAddress, req);
  });
  const port = await listen(server, opts.port, opts.host);
  return {
    port,
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await closeServer(server);
    },
  };
}
