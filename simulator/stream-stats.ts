/**
 * Counts of the published stream, for the truth and the run summary: what was published, what
 * the transport faults added or delayed, and so how many rows the log should hold afterwards.
 */
import type { TransportStats } from './faults/transport.js';
import type { SimEvent } from './stream.js';

export interface StreamStats {
  messages: number;
  readingMessages: number;
  /** Readings published in reading and waveform messages, duplicates included. */
  readings: number;
  waveformBlocks: number;
  batchEvents: number;
  malformedMessages: number;
  duplicateMessages: number;
  duplicateReadings: number;
  reordered: number;
  offlineHeld: number;
  /** Rows the log should hold afterwards: unique readings plus batch events. */
  expectedStored: number;
}

export function newStreamStats(): StreamStats {
  return {
    messages: 0,
    readingMessages: 0,
    readings: 0,
    waveformBlocks: 0,
    batchEvents: 0,
    malformedMessages: 0,
    duplicateMessages: 0,
    duplicateReadings: 0,
    reordered: 0,
    offlineHeld: 0,
    expectedStored: 0,
  };
}

export function newTransportStats(): TransportStats {
  return { duplicateMessages: 0, duplicateReadings: 0, reordered: 0, offlineHeld: 0 };
}

/** Passes `events` through, counting each message into `st`. */
export function* counted(events: Iterable<SimEvent>, st: StreamStats): Generator<SimEvent> {
  for (const e of events) {
    if (e.type === 'message') {
      st.messages++;
      if (e.class === 'reading' || e.class === 'waveform') {
        st.readingMessages++;
        st.readings += e.readings;
        if (e.class === 'waveform') st.waveformBlocks++;
      } else if (e.class === 'batch') st.batchEvents++;
      else st.malformedMessages++;
    }
    yield e;
  }
}

/** Completes `st` once the stream has ended: the transport's counts and the rows to expect. */
export function settleStats(st: StreamStats, transport: TransportStats): StreamStats {
  Object.assign(st, transport);
  st.expectedStored = st.readings - st.duplicateReadings + st.batchEvents;
  return st;
}
