/**
 * Which topics the simulated plant can publish: a device publishes under its own prefix, and a
 * topic without a device only when the broker admits anonymous clients. The simulator leaves the
 * others out (and `plantpulse simulate` names them) rather than publish what the ACL would refuse.
 */
import type { PlantIndex } from '../config/plant-index.js';
import type { LineProfile } from './profiles.js';

export function canPublish(device: string | undefined, index: PlantIndex): boolean {
  return !!device || index.model.mqtt.allowAnonymous;
}

/** Sensor topics, then production lines' batch topics, that no client may publish. */
export function unpublishableTopics(index: PlantIndex, lines: LineProfile[]): string[] {
  const out: string[] = [];
  for (const s of index.sensors) if (!canPublish(s.device, index)) out.push(s.topic);
  for (const l of lines) if (l.production && !canPublish(l.device, index)) out.push(l.batchTopic);
  return out;
}
