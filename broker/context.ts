import type { Client } from 'aedes';
import type { DeviceConfig } from '../config/schema.js';
import type { PlantIndex } from '../config/plant-index.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { Logger } from '../runtime/logger.js';
import type { Metrics } from '../runtime/metrics.js';
import type { LogWriter } from '../store/log-writer.js';
import type { DeviceCredentials } from './credentials.js';

/** Who a connected client is: a configured device, or anonymous (demo mode only). */
export interface Identity {
  device: DeviceConfig | null;
}

/** Everything the broker hooks need, passed as one object. */
export interface BrokerContext {
  index: PlantIndex;
  ingestor: Ingestor;
  writer: LogWriter;
  credentials: DeviceCredentials;
  metrics: Metrics;
  log: Logger;
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
