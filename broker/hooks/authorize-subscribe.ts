/**
 * SUBSCRIBE: a device may subscribe only to topics under its own prefix, so it cannot read
 * other devices' data. A refused filter gets return code 0x80 in SUBACK (MQTT 3.1.1 §3.9.3).
 * Anonymous clients (demo mode) may subscribe to anything but '$' topics.
 */
import type { Client, Subscription } from 'aedes';
import type { BrokerContext } from '../context.js';
import type { DeviceSessions } from '../sessions.js';

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

/** True when `filter` can match `prefix` itself or some topic below it (MQTT 3.1.1 §4.7.1 wildcards). */
export function filterReaches(filter: string, prefix: string): boolean {
  const f = filter.split('/');
  const p = prefix.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= p.length) return true; // matched the whole prefix; deeper levels lie below it
    if (f[i] !== '+' && f[i] !== p[i]) return false;
  }
  return f.length >= p.length;
}

export function authorizeSubscribeHook(ctx: BrokerContext, sessions: DeviceSessions) {
  const devices = [...ctx.index.devices.values()];
  /** Within its own prefix, and not into the prefix of a more specific device nested below it. */
  const mayRead = (own: { id: string; prefix: string }, filter: string) =>
    filterWithin(own.prefix, filter) &&
    !devices.some(
      (d) =>
        d.id !== own.id &&
        d.prefix.length > own.prefix.length &&
        filterWithin(own.prefix, d.prefix) &&
        filterReaches(filter, d.prefix),
    );

  return (
    client: Client | null,
    sub: Subscription,
    done: (err: Error | null, sub?: Subscription | null) => void,
  ): void => {
    if (!client) return done(null, sub);
    const identity = ctx.identities.get(client);
    // Removed or rotated since CONNECT: refused, and the session is being closed (broker/sessions.ts).
    if (identity && !sessions.admits(identity)) return done(null, null);
    const allowed = sub.topic.startsWith('$')
      ? false
      : identity?.device
        ? mayRead(identity.device, sub.topic)
        : identity !== undefined;
    if (allowed) return done(null, sub);
    ctx.metrics.aclDenied.inc({ action: 'subscribe' });
    ctx.log.warn(
      { clientId: client.id, device: identity?.device?.id, filter: sub.topic },
      'subscription outside the device topic prefix refused',
    );
    done(null, null);
  };
}
