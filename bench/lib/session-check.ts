/**
 * What closing revoked sessions costs the ingest hot path (broker/sessions.ts), measured on a
 * running PlantPulse against the work every PUBLISH already does: decoding and validating its
 * payload (Ingestor.handle, no commit). Two parts:
 *
 * - per message: `admits` once the turn was checked: a flag test;
 * - per event-loop turn carrying device traffic: one read of the credential change counter.
 *
 * One message per turn is the worst case (both parts per message), and that turn also ends in a
 * group commit with its fsync; under load many PUBLISH packets share a turn and its counter read.
 */
import type { Identity } from '../../broker/context.js';
import { CredentialWatch } from '../../broker/credential-watch.js';
import { Ingestor } from '../../ingest/ingestor.js';
import type { RunningPlantPulse } from '../../runtime/plantpulse.js';
import type { Figure } from './figures.js';

const N = 200_000;

/** Nanoseconds per call of `fn`, best of three rounds (the machine is shared). */
function nsPerCall(fn: (i: number) => unknown): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / N);
  }
  return best;
}

export async function sessionCheckFigures(
  pp: RunningPlantPulse,
  device: string,
): Promise<Figure[]> {
  const model = pp.index.model;
  const ingestor = new Ingestor(pp.index, pp.store.series, {
    maxPayloadBytes: model.ingest.maxPayloadBytes,
    maxFutureSkewMs: model.ingest.maxFutureSkew,
    deadLetterPayloadCap: model.ingest.deadLetterPayloadCap,
  });
  const sensor = pp.index.sensors.find((s) => pp.index.ownerOf(s.topic) === device)!;
  const ts = Date.now() - 3_600_000;
  const payloads = Array.from({ length: 1024 }, (_, i) =>
    Buffer.from(JSON.stringify({ ts: ts + i, v: i % 400 })),
  );
  const decode = nsPerCall((i) => ingestor.handle(sensor.topic, payloads[i & 1023]!, 'bench'));

  const identity: Identity = {
    device: pp.index.devices.get(device)!,
    login: { kind: 'password', secretHash: 'not compared unless credentials change' },
  };
  const sessions = pp.broker.sessions;
  const flag = nsPerCall(() => sessions.admits(identity));
  const watch = new CredentialWatch(pp.store.db);
  const counter = nsPerCall(() => watch.changed());

  // Every turn that carries PUBLISH packets also ends in a group commit: the mean one of this run.
  const commits = (await pp.metrics.commitSeconds.get()).values;
  const sum = commits.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const count = commits.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  const commitNs = count > 0 ? (sum / count) * 1e9 : null;

  const fig = (
    metric: string,
    value: number,
    unit: string,
    baseline: number | null,
    baselineName: string,
  ): Figure => ({
    metric,
    value: Math.round(value),
    unit,
    baseline: baseline === null ? null : Math.round(baseline),
    baselineName,
    target: null,
    met: null,
  });
  return [
    fig(
      'live-session credential check per PUBLISH (turn already checked: a flag test)',
      flag,
      'ns/msg',
      decode,
      'decode + validate of the same PUBLISH (Ingestor.handle), same run',
    ),
    fig(
      'live-session credential check per event-loop turn (change counter read)',
      counter,
      'ns/turn',
      commitNs,
      'mean group commit of this run (every turn with PUBLISH packets ends in one)',
    ),
  ];
}
