/**
 * SUBSCRIBE: a device may subscribe only to topics under its own prefix, so it cannot read
 * other devices' data. A refused filter gets return code 0x80 in SUBACK (MQTT 3.1.1 §3.9.3).
 * Anonymous clients (demo mode) may subscribe to anything but '$' topics.
 */
import type { Client, Subscription } from 'aedes';
import type { BrokerContext } from '../context.js';

/** True when every topic that `filter` can match lies under `prefix`. */
export function filterWithin(prefix: string, filter: string): boolean {
  const p = prefix.split('/');
  const f = filter.split('/');
  if (f.length < p.length) return false;
  for (let i = 0; i < p.length; i++) {
    if (f[i] !== p[i]) return false; // a wildcard here would reach beyond the prefix
  }
  return true;
}

export function authorizeSubscribeHook(ctx: BrokerContext) {
  return (client: Client | null, sub: Subscription, done: (err: Error | null, sub?: Subscription | null) => void): void => {
    if (!client) return done(null, sub);
    const identity = ctx.identities.get(client);
    const allowed = sub.topic.startsWith('$') ? false : identity?.device ? filterWithin(identity.device.prefix, sub.topic) : identity !== undefined;
    if (allowed) return done(null, sub);
    ctx.metrics.aclDenied.inc({ action: 'subscribe' });
    ctx.log.warn({ clientId: client.id, device: identity?.device?.id, filter: sub.topic }, 'subscription outside the device topic prefix refused');
    done(null, null);
  };
}
