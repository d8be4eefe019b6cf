/**
 * Live device sessions and what ends them (DESIGN C6 on open connections): a device removed, or
 * its secret rotated, after it connected loses its session within one poll interval, and nothing
 * it sends after the change is taken.
 *
 * - Every PUBLISH, SUBSCRIBE and delivery of a device client asks `admits`, which re-reads the
 *   credential change counter once per event-loop turn (CredentialWatch, ~1 µs): the group-commit
 *   writer also batches per turn, so a packet processed in a turn that began after the change
 *   was committed is refused, and the check costs one lookup per turn, not per message.
 * - A timer polls every `pollMs` so that idle sessions (a subscriber that never publishes) are
 *   closed too: the bound on "removed, yet still connected" is `pollMs` plus the close itself.
 *
 * A refused PUBLISH fails its authorizePublish callback, so Aedes closes the connection without
 * PUBACK (MQTT 3.1.1 §4.3.2: unacknowledged, the sender owns the message). What was acknowledged
 * before stays stored (C1). A closed session's will is refused by the same check (§3.1.2.5 lets
 * the server decline to publish it; a removed device has no right to publish at all).
 */
import type { Aedes, Client } from 'aedes';
import { Counter } from 'prom-client';
import type { BrokerContext, Identity, RevokeReason } from './context.js';
import { CredentialWatch } from './credential-watch.js';

/** How often idle sessions are checked against the stored credentials. */
export const REVOCATION_POLL_MS = 500;

type DeviceIdentity = Extract<Identity, { device: object }>;

const WHY: Record<RevokeReason, string> = {
  device_removed: 'its device was removed (plantpulse devices remove)',
  secret_rotated: 'the secret it logged in with was rotated (plantpulse devices rotate|add)',
};

export class DeviceSessions {
  /** Connected clients per device id. */
  private readonly live = new Map<string, Set<Client>>();
  private readonly watch: CredentialWatch;
  private readonly closed: Counter<'reason'>;
  private checkedThisTurn = false;
  private readFailing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly endTurn = () => {
    this.checkedThisTurn = false;
  };

  constructor(
    private readonly ctx: BrokerContext,
    private readonly pollMs = REVOCATION_POLL_MS,
  ) {
    this.watch = new CredentialWatch(ctx.credentials.db);
    this.closed = new Counter({
      name: 'plantpulse_mqtt_sessions_revoked_total',
      help: 'Open MQTT sessions closed because their device was removed or its secret rotated, by reason',
      labelNames: ['reason'] as const,
      registers: [ctx.metrics.registry],
    });
  }

  start(aedes: Aedes): void {
    aedes.on('client', (client: Client) => this.add(client));
    aedes.on('clientDisconnect', (client: Client) => this.drop(client));
    this.timer = setInterval(() => this.poll(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * False when this client's device credentials no longer stand, as of this event-loop turn.
   * Anonymous clients (demo mode) have no credentials to lose.
   */
  admits(identity: Identity): boolean {
    if (!identity.device) return true;
    if (!this.checkedThisTurn) {
      this.checkedThisTurn = true;
      setImmediate(this.endTurn);
      this.poll();
    }
    return !identity.revoked;
  }

  /** Number of device sessions being watched (for tests and diagnostics). */
  get size(): number {
    let n = 0;
    for (const set of this.live.values()) n += set.size;
    return n;
  }

  private add(client: Client): void {
    const identity = this.ctx.identities.get(client);
    if (!identity?.device) return;
    let set = this.live.get(identity.device.id);
    if (!set) this.live.set(identity.device.id, (set = new Set()));
    set.add(client);
    // A change committed between the credential check and now was seen by no poll of this session.
    this.revalidate(identity.device.id, set);
  }

  private drop(client: Client): void {
    const identity = this.ctx.identities.get(client);
    if (!identity?.device) return;
    const set = this.live.get(identity.device.id);
    if (!set?.delete(client)) return;
    if (set.size === 0) this.live.delete(identity.device.id);
  }

  private poll(): void {
    try {
      if (this.watch.changed()) {
        for (const [device, clients] of this.live) this.revalidate(device, clients);
      }
      if (this.readFailing) this.ctx.log.warn('device credentials readable again');
      this.readFailing = false;
    } catch (err) {
      // The log is unreadable: commits fail too, so nothing is acknowledged meanwhile. Say it once.
      if (!this.readFailing)
        this.ctx.log.error(
          { err: (err as Error).message },
          'cannot read device credentials to check live sessions; will retry',
        );
      this.readFailing = true;
    }
  }

  private revalidate(device: string, clients: Set<Client>): void {
    const row = this.ctx.credentials.current(device);
    for (const client of [...clients]) {
      const identity = this.ctx.identities.get(client);
      if (!identity?.device) continue;
      const reason = verdict(identity, row);
      if (reason) this.close(client, identity, reason);
    }
  }

  private close(client: Client, identity: DeviceIdentity, reason: RevokeReason): void {
    if (identity.revoked) return;
    identity.revoked = reason;
    this.drop(client);
    this.closed.inc({ reason });
    const device = identity.device.id;
    const remote = (client.conn as { remoteAddress?: string } | undefined)?.remoteAddress;
    this.ctx.log.warn(
      { clientId: client.id, device, reason, login: identity.login.kind, remote },
      `closed MQTT session of client "${client.id}" (device ${device}): ${WHY[reason]}`,
    );
    try {
      // IMMEDIATE: the chain head is read then written, and the CLI appends from another process.
      this.ctx.credentials.db
        .transaction(() =>
          this.ctx.audit.append({
            actor: 'system',
            action: 'device.session_closed',
            subject: device,
            detail: { clientId: client.id, reason, login: identity.login.kind },
          }),
        )
        .immediate();
    } catch (err) {
      // The session is closed regardless; the log line above names it.
      this.ctx.log.error(
        { err: (err as Error).message, clientId: client.id, device },
        'could not write the audit entry for a closed session',
      );
    }
    client.close();
  }
}

/** Why the stored record no longer backs this session's login, if it does not. */
export function verdict(
  identity: DeviceIdentity,
  row: { secretHash: string; disabled: boolean } | undefined,
): RevokeReason | undefined {
  if (row?.disabled) return 'device_removed';
  // A certificate login never used the stored secret: only a removal bars it.
  if (identity.login.kind === 'certificate') return undefined;
  if (!row) return 'device_removed';
  return row.secretHash === identity.login.secretHash ? undefined : 'secret_rotated';
}
