/**
 * PUBLISH: the heart of contract C1. Aedes calls this hook before it writes PUBACK (QoS 1,
 * MQTT 3.1.1 §4.3.2) and before routing. We decode and validate the message, hand the rows (or
 * the dead-letter record) to the group-commit writer, and complete the callback only after the
 * commit: PUBACK therefore means "on disk". If the commit fails we pass the error, Aedes closes
 * the connection without PUBACK, and the device resends (§4.4).
 *
 * A publish outside the device's prefix, and a message with nothing valid in it, is kept in the
 * dead-letter table, acknowledged (MQTT 3.1.1 has no negative PUBACK; refusing by disconnecting
 * would make the device resend the same message forever) and re-addressed to a sink topic so
 * no subscriber receives it.
 *
 * Disk full (SQLITE_FULL) is the same path: the commit fails, nothing is acknowledged, the device
 * resends until space returns; CommitFailureLog keeps that episode to a few log lines.
 *
 * A device removed or rotated since its CONNECT is refused here before anything is decoded: no
 * PUBACK, nothing stored, the connection closed (broker/sessions.ts checks once per loop turn).
 */
import type { Client, PublishPacket } from 'aedes';
import type { DeadLetterRow, LogRow } from '../../store/log-writer.js';
import { SINK_TOPIC, type BrokerContext } from '../context.js';
import type { DeviceSessions } from '../sessions.js';
import { CommitFailureLog } from './commit-failures.js';

export function authorizePublishHook(ctx: BrokerContext, sessions: DeviceSessions) {
  const { metrics } = ctx;
  const failures = new CommitFailureLog(ctx.log);
  return (
    client: Client | null,
    packet: PublishPacket,
    done: (err?: Error | null) => void,
  ): void => {
    if (!client) return done(null); // published by PlantPulse itself (alerts, $SYS)
    if (illFormedTopic(packet.topic)) {
      // §1.5.3 [MQTT-1.5.3-1, -2]: ill-formed UTF-8 or U+0000 in a string → close the connection.
      // mqtt-packet decodes the topic leniently, so ill-formed bytes arrive as U+FFFD.
      ctx.log.warn(
        { clientId: client.id, topic: packet.topic },
        'PUBLISH topic is not well-formed UTF-8 (MQTT 3.1.1 §1.5.3); closing the connection',
      );
      return done(new Error('PUBLISH topic is not well-formed UTF-8'));
    }
    metrics.messagesIn.inc();
    const identity = ctx.identities.get(client);
    if (identity && !sessions.admits(identity)) {
      // Removed or rotated since CONNECT: no PUBACK, Aedes closes the connection (broker/sessions.ts).
      return done(new Error(`device credentials revoked: ${identity.device?.id}`));
    }
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const topic = packet.topic;

    // A topic belongs to the device with the most specific prefix covering it, so a line gateway
    // cannot publish into the prefix of a dedicated device (e.g. a condition-monitoring box) below it.
    if (
      topic.startsWith('$') ||
      !identity ||
      (identity.device && ctx.index.ownerOf(topic) !== identity.device.id)
    ) {
      metrics.aclDenied.inc({ action: 'publish' });
      metrics.rejects.inc({ code: 'PP_ERR_ACL_DENIED' });
      ctx.log.warn(
        { clientId: client.id, device: identity?.device?.id, topic },
        'publish outside the device topic prefix refused',
      );
      const dl = ctx.ingestor.aclDenied(
        topic,
        payload,
        client.id,
        identity?.device?.id ?? null,
        identity?.device?.prefix,
      );
      return commit(ctx, failures, client.id, [], [dl], packet, true, done);
    }

    const outcome = ctx.ingestor.handle(topic, payload, client.id);
    for (const code of outcome.rejectCodes) metrics.rejects.inc({ code });
    commit(
      ctx,
      failures,
      client.id,
      outcome.rows,
      outcome.deadLetter ? [outcome.deadLetter] : [],
      packet,
      outcome.rows.length === 0,
      done,
    );
  };
}

const illFormedTopic = (topic: string) => topic.includes('\uFFFD') || topic.includes('\u0000');

function commit(
  ctx: BrokerContext,
  failures: CommitFailureLog,
  clientId: string,
  rows: LogRow[],
  deadLetters: DeadLetterRow[],
  packet: PublishPacket,
  sink: boolean,
  done: (err?: Error | null) => void,
): void {
  ctx.writer.submit(rows, deadLetters, (err) => {
    if (err) {
      failures.refuse(err, packet.topic, clientId);
      return done(err);
    }
    failures.committed();
    if (sink) {
      packet.topic = SINK_TOPIC;
      packet.retain = false;
    }
    done(null);
  });
}
