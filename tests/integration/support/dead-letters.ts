/**
 * The dead-letter check shared by the bad-input cases: publish one bad message, read the newest
 * dead-letter record over the HTTP API, compare it with what the case expects, then show that a
 * good reading sent right behind it is stored.
 */
import { expect } from 'vitest';
import type { Json } from './harness.js';

export interface DeadLetter {
  id: number;
  topic: string;
  clientId: string | null;
  code: string;
  field: string | null;
  reason: string;
  payload: string;
  payloadSize: number;
  truncated: boolean;
}

export interface BadCase {
  name: string;
  /** Defaults to the checker's topic. */
  topic?: string;
  payload: string;
  code: string;
  field: string | null;
  /** Substrings the reason must contain (the field name, the value, the limit). */
  reason: string[];
  /** Rows of the message that are still stored (the good elements of an array). */
  stored?: number;
  /** Publish as the second device instead of the first. */
  asGw2?: boolean;
}

export interface CheckerDeps {
  /** GET a JSON route of the running PlantPulse. */
  api: (path: string) => Promise<Json>;
  /** Publishes (QoS 1) and resolves on PUBACK. */
  publish: (c: BadCase, topic: string) => Promise<void>;
  /** Publishes one good reading (QoS 1) that must be stored. */
  publishGood: () => Promise<void>;
  defaultTopic: string;
  clientIdOf: (c: BadCase) => string;
  /** ingest.deadLetterPayloadCap */
  cap: number;
}

export function deadLetterChecker(deps: CheckerDeps) {
  const readings = async () => (await deps.api('/api/v1/stats')).readings as number;
  const newest = async (): Promise<DeadLetter | undefined> =>
    (await deps.api('/api/v1/dead-letters?limit=1')).deadLetters[0];

  /** Publishes `c`, checks its dead-letter record, then that a good reading behind it is stored. */
  return async function rejects(c: BadCase): Promise<DeadLetter> {
    const topic = c.topic ?? deps.defaultTopic;
    const before = await readings();
    const lastId = (await newest())?.id ?? 0;
    await deps.publish(c, topic);
    const dl = await newest();
    expect(dl, `a dead letter for ${c.name}`).toBeDefined();
    expect(dl!.id, `${c.name}: a new dead-letter record`).toBeGreaterThan(lastId);
    expect({ topic: dl!.topic, clientId: dl!.clientId, code: dl!.code, field: dl!.field }).toEqual({
      topic,
      clientId: deps.clientIdOf(c),
      code: c.code,
      field: c.field,
    });
    for (const part of c.reason) expect(dl!.reason).toContain(part);
    const size = Buffer.byteLength(c.payload);
    expect(dl!.payloadSize).toBe(size);
    if (size <= deps.cap) {
      expect({ payload: dl!.payload, truncated: dl!.truncated }).toEqual({
        payload: c.payload,
        truncated: false,
      });
    }
    expect(await readings()).toBe(before + (c.stored ?? 0));

    await deps.publishGood();
    expect(await readings()).toBe(before + (c.stored ?? 0) + 1);
    return dl!;
  };
}
