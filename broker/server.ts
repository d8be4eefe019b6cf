/**
 * The embedded MQTT broker: Aedes on a TCP listener. Whatever `start` opens, `stop` closes.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes, type Client } from 'aedes';
import type { BrokerContext } from './context.js';
import { authenticateHook } from './hooks/authenticate.js';
import { authorizePublishHook } from './hooks/authorize-publish.js';
import { authorizeSubscribeHook } from './hooks/authorize-subscribe.js';
import { guardPacketSize } from './packet-size.js';

export interface BrokerOptions {
  host: string;
  port: number;
  maxPacketBytes: number;
  maxConnections: number;
  keepaliveLimitSeconds: number;
  connectTimeoutMs: number;
}

export class EmbeddedBroker {
  readonly aedes: Aedes;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly ctx: BrokerContext,
    private readonly opts: BrokerOptions,
  ) {
    this.aedes = new Aedes({
      authenticate: authenticateHook(ctx),
      authorizePublish: authorizePublishHook(ctx),
      authorizeSubscribe: authorizeSubscribeHook(ctx),
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
    const client = this.aedes.handle(socket) as Client;
    guardPacketSize(client, this.opts.maxPacketBytes, (length) => {
      this.ctx.log.warn(
        {
          clientId: client.id,
          remote: socket.remoteAddress,
          length,
          max: this.opts.maxPacketBytes,
        },
        'MQTT packet larger than mqtt.maxPacketBytes; closing the connection',
      );
      socket.destroy();
    });
  }

  /** Stops accepting, closes client connections, then closes Aedes. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of this.sockets) s.destroy();
      await closed;
    }
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }
}
