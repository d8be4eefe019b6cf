/** The simulator's output: MQTT messages in (nearly) event-time order, and gateway markers. */

export type MessageClass = 'reading' | 'waveform' | 'batch' | 'malformed';

export interface SimMessage {
  type: 'message';
  topic: string;
  /** Device (MQTT user name) that publishes it; undefined = anonymous client. */
  device: string | undefined;
  payload: string;
  /** Latest event time in the payload: the publisher never sends it before this (real time). */
  at: number;
  /** Readings carried (1 for a waveform block or a batch event, 0 for a malformed message). */
  readings: number;
  class: MessageClass;
  duplicate?: true;
}

/** A gateway losing (online: false) or regaining its uplink. */
export interface GatewayEvent {
  type: 'gateway';
  device: string;
  online: boolean;
  at: number;
}

export type SimEvent = SimMessage | GatewayEvent;

/** One line of the canonical stream dump (fixtures, hashing). */
export function eventLine(e: SimEvent): string {
  return e.type === 'message'
    ? JSON.stringify({ topic: e.topic, device: e.device ?? null, payload: e.payload })
    : JSON.stringify({ gateway: e.device, online: e.online, at: e.at });
}
