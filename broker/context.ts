import type { Client } from 'aedes';
import type { AuditTrail } from '../audit/trail.js';
import type { DeviceConfig } from '../config/schema.js';
import type { PlantIndex } from '../config/plant-index.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { Logger } from '../runtime/logger.js';
import type { Metrics } from '../runtime/metrics.js';
import type { LogWriter } from '../store/log-writer.js';
import type { DeviceCredentials } from './credentials.js';

/** How a device proved who it is: the stored secret hash it matched, or its client certificate. */
export type Login = { kind: 'password'; secretHash: string } | { kind: 'certificate' };

/** Why a live session was closed: its device's credentials changed after it connected. */
export type RevokeReason = 'device_removed' | 'secret_rotated';

/** Who a connected client is: a configured device, or anonymous (demo mode only). */
export type Identity =
  | { device: null }
  | {
      device: DeviceConfig;
      login: Login;
      /** Set once the device was removed or its secret rotated: nothing more is accepted. */
      revoked?: RevokeReason;
    };

/** Everything the broker hooks need, passed as one object. */
export interface BrokerContext {
  index: PlantIndex;
  ingestor: Ingestor;
  writer: LogWriter;
  credentials: DeviceCredentials;
  metrics: Metrics;
  log: Logger;
  /** Hash-chained audit trail: sessions closed because credentials were revoked are recorded. */
  audit: AuditTrail;
  identities: WeakMap<Client, Identity>;
  /** Device named by a verified client certificate (mutual TLS), set before CONNECT arrives. */
  certDevices?: WeakMap<Client, string>;
}

/**
 * Where refused or wholly rejected messages are re-addressed before Aedes routes them. Topics
 * starting with '$' are not matched by '#' or '+' subscriptions (MQTT 3.1.1 §4.7.2), and the
 * subscribe ACL refuses '$PP/...' to everyone, so nobody receives them; the dead-letter table keeps them.
 */
export const SINK_TOPIC = '$PP/sink';
