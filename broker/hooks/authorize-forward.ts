/**
 * Delivery to a subscriber: Aedes asks before it writes each PUBLISH to a client (and before it
 * resends a queued one). A device removed or rotated since CONNECT receives nothing more, even
 * in the moments before its session is closed (broker/sessions.ts); every other delivery passes
 * unchanged, its topic having been checked by the subscribe ACL already.
 */
import type { AedesPublishPacket, Client } from 'aedes';
import type { BrokerContext } from '../context.js';
import type { DeviceSessions } from '../sessions.js';

export function authorizeForwardHook(ctx: BrokerContext, sessions: DeviceSessions) {
  return (client: Client, packet: AedesPublishPacket): AedesPublishPacket | null => {
    const identity = ctx.identities.get(client);
    return identity && !sessions.admits(identity) ? null : packet;
  };
}
