/**
 * The embedded MQTT broker: Aedes on plain TCP, TLS (optionally mutual) and WebSocket
 * listeners. Whatever `start` opens, `stop` closes.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TlsOptions } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import type { MqttTls, MqttWebSocket } from '../config/security-schema.js';
import type { BrokerContext } from './context.js';
import { startTlsListener, startWebSocketListener, type Listener } from './listeners.js';
import { deviceFromCertificate, tlsServerOptions } from './tls.js';
import { authenticateHook } from './hooks/authenticate.js';
import { authorizePublishHook } from './hooks/authorize-publish.js';
import { authorizeSubscribeHook } from './hooks/authorize-subscribe.js';
import { authorizeForwardHook } from './hooks/authorize-forward.js';
import { DeviceSessions } from './sessions.js';
import { guardPacketSize } from './packet-size.js';

export interface BrokerOptions {
  host: string;
  port: number;
  maxPacketBytes: number;
  maxConnections: number;
  keepaliveLimitSeconds: number;
  connectTimeoutMs: number;
  /** Plain TCP on `port` (default true); false leaves only TLS / WebSocket. */
  tcp?: boolean;
  tls?: { port: number; options: TlsOptions };
  websocket?: { port: number; path: string; tls?: TlsOptions };
}

/** TLS and WebSocket listener options from the `mqtt:` section (files relative to the plant model). */
export function transportOptions(
  mqtt: { tcp: boolean; tls?: MqttTls; websocket?: MqttWebSocket },
  configFile: string,
): Pick<BrokerOptions, 'tcp' | 'tls' | 'websocket'> {
  return {
    tcp: mqtt.tcp,
    tls: mqtt.tls && {
      port: mqtt.tls.port,
      options: tlsServerOptions(mqtt.tls, configFile, 'mqtt.tls', mqtt.tls.clientCerts),
    },
    websocket: mqtt.websocket && {
      port: mqtt.websocket.port,
      path: mqtt.websocket.path,
      tls:
        mqtt.websocket.tls &&
        tlsServerOptions(mqtt.websocket.tls, configFile, 'mqtt.websocket.tls'),
    },
  };
}

export class EmbeddedBroker {
  readonly aedes: Aedes;
  /** Live device sessions; closes those whose credentials are removed or rotated. */
  readonly sessions: DeviceSessions;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly listeners: Listener[] = [];
  /** Bound ports: plain TCP (0 when off), TLS and WebSocket (when configured). */
  readonly ports: { tcp: number; tls?: number; ws?: number } = { tcp: 0 };

  constructor(
    private readonly ctx: BrokerContext,
    private readonly opts: BrokerOptions,
  ) {
    this.sessions = new DeviceSessions(ctx);
    this.aedes = new Aedes({
      authenticate: authenticateHook(ctx),
      authorizePublish: authorizePublishHook(ctx, this.sessions),
      authorizeSubscribe: authorizeSubscribeHook(ctx, this.sessions),
      authorizeForward: authorizeForwardHook(ctx, this.sessions),
      connectTimeout: opts.connectTimeoutMs,
      keepaliveLimit: opts.keepaliveLimitSeconds,
      // Device ids are up to 64 characters and gateways often add a suffix.
      maxClientsIdLength: 128,
      // Dispatch more packets of one socket read concurrently: they all join the same group commit.
      concurrency: 1000,
    });
    this.aedes.on('client', () => ctx.metrics.connections.inc());
    this.aedes.on('clientDisconnect', () => ctx.metrics.connections.dec());
    this.aedes.on('clientError', (client: Client, err: Error) =>
      ctx.log.debug({ clientId: client.id, err: err.message }, 'MQTT client error'),
    );
    this.aedes.on('connectionError', (client: Client, err: Error) =>
      ctx.log.debug({ clientId: client.id, err: err.message }, 'MQTT connection error'),
    );
  }

  async start(): Promise<number> {
    // Aedes 1.x sets up its persistence and emitter here; until then it never answers CONNECT.
    await this.aedes.listen();
    this.sessions.start(this.aedes);
    if (this.opts.tcp !== false) this.ports.tcp = await this.startTcp();
    if (this.opts.tls) {
      const certDevices = this.ctx.certDevices;
      const tls = await startTlsListener({
        tls: this.opts.tls.options,
        host: this.opts.host,
        port: this.opts.tls.port,
        maxConnections: this.opts.maxConnections,
        onRefused: (socket, reason) => {
          this.ctx.metrics.authFailures.inc({ reason: 'tls' });
          this.ctx.log.warn(
            { remote: socket.remoteAddress, reason },
            'refused MQTT/TLS connection (handshake or client certificate)',
          );
        },
        accept: (socket) => {
          const client = this.attach(socket, socket.remoteAddress);
          const device = deviceFromCertificate(
            socket.authorized ? socket.getPeerCertificate() : undefined,
            (id) => this.ctx.index.devices.has(id),
          );
          if (certDevices && socket.authorized) certDevices.set(client, device ?? '');
        },
      });
      this.listeners.push(tls);
      this.ports.tls = tls.port;
    }
    if (this.opts.websocket) {
      const ws = await startWebSocketListener({
        ...this.opts.websocket,
        host: this.opts.host,
        maxConnections: this.opts.maxConnections,
        accept: (conn, remote, req) => this.attach(conn, remote, req),
      });
      this.listeners.push(ws);
      this.ports.ws = ws.port;
    }
    return this.ports.tcp;
  }

  private async startTcp(): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    server.maxConnections = this.opts.maxConnections;
    server.on('drop', (data) =>
      this.ctx.log.warn(
        { remote: data?.remoteAddress, max: this.opts.maxConnections },
        'MQTT connection dropped: mqtt.maxConnections reached',
      ),
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.attach(socket, socket.remoteAddress);
  }

  /** Hands a connection of any transport to Aedes, behind the packet-size guard. */
  private attach(conn: Duplex, remote: string | undefined, req?: IncomingMessage): Client {
    const client = this.aedes.handle(conn, req) as Client;
    guardPacketSize(client, this.opts.maxPacketBytes, (length) => {
      this.ctx.log.warn(
        {
          clientId: client.id,
          remote,
          length,
          max: this.opts.maxPacketBytes,
        },
        'MQTT packet larger than mqtt.maxPacketBytes; closing the connection',
      );
      conn.destroy();
    });
    return client;
  }

  /** Stops accepting, closes client connections, then closes Aedes. */
  async stop(): Promise<void> {
    this.sessions.stop();
    const server = this.server;
    this.server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of this.sockets) s.destroy();
      await closed;
    }
    for (const l of this.listeners.splice(0)) await l.close();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }
}
