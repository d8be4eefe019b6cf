/**
 * Lookup structures derived once from the validated plant model: topic → sensor, path → sensor,
 * topic → line (batch events), and which device may publish where. Hot paths (ingest, ACL)
 * use these maps instead of walking the model.
 */
import { ConfigError } from './load.js';
import type { DeviceConfig, MachineConfig, PlantModel, SensorConfig } from './schema.js';
import { KINDS, converterFor, type SensorKind } from './units.js';

export interface SensorInfo {
  /** `site/line/machine/sensor`: the stable identity used by the API and the log. */
  path: string;
  site: string;
  line: string;
  machine: string;
  sensor: string;
  kind: SensorKind;
  declaredUnit: string;
  canonicalUnit: string;
  toCanonical: (v: number) => number;
  /** Valid range converted to the canonical unit, or undefined. */
  range: [number, number] | undefined;
  /** Energy counters: the register value at which the meter wraps, in the canonical unit. */
  rollover: number | undefined;
  intervalMs: number;
  topic: string;
  /** Id of the device allowed to publish this sensor (most specific prefix), if any. */
  device: string | undefined;
  sinceMs: number | undefined;
  config: SensorConfig;
  machineConfig: MachineConfig;
}

export interface LineInfo {
  path: string;
  site: string;
  line: string;
  batchTopic: string;
  device: string | undefined;
}

export interface PlantIndex {
  model: PlantModel;
  sensors: SensorInfo[];
  lines: LineInfo[];
  sensorByTopic: Map<string, SensorInfo>;
  sensorByPath: Map<string, SensorInfo>;
  lineByBatchTopic: Map<string, LineInfo>;
  devices: Map<string, DeviceConfig>;
  earliestMs: number;
  /** The device that owns `topic`: the one with the most specific prefix covering it. */
  ownerOf(topic: string): string | undefined;
}

const PLACEHOLDERS = ['{site}', '{line}', '{machine}', '{sensor}'] as const;

export function fill(template: string, ids: Record<string, string>): string {
  return template.replace(/\{(site|line|machine|sensor)\}/g, (_, k: string) => ids[k] ?? `{${k}}`);
}

/** True when `topic` lies under `prefix` at a topic-level boundary (MQTT 3.1.1 §4.7: levels split on '/'). */
export function topicUnder(prefix: string, topic: string): boolean {
  return (
    topic === prefix ||
    (topic.startsWith(prefix) && topic.charCodeAt(prefix.length) === 47) /* '/' */
  );
}

export function buildPlantIndex(model: PlantModel, file = '<plant model>'): PlantIndex {
  const problems: string[] = [];
  const tpl = model.mqtt.topicTemplate;
  for (const ph of PLACEHOLDERS) {
    if (!tpl.includes(ph))
      problems.push(
        `mqtt.topicTemplate: "${tpl}" lacks ${ph}; every reading topic must name site, line, machine and sensor`,
      );
  }
  for (const ph of ['{site}', '{line}'] as const) {
    if (!model.mqtt.batchTopicTemplate.includes(ph))
      problems.push(`mqtt.batchTopicTemplate: lacks ${ph}`);
  }
  if (problems.length) throw new ConfigError(file, problems);

  const deviceFor = (topic: string): string | undefined => {
    let best: DeviceConfig | undefined;
    for (const d of model.devices) {
      if (topicUnder(d.prefix, topic) && (!best || d.prefix.length > best.prefix.length)) best = d;
    }
    return best?.id;
  };

  const sensors: SensorInfo[] = [];
  const lines: LineInfo[] = [];
  const sensorByTopic = new Map<string, SensorInfo>();
  const sensorByPath = new Map<string, SensorInfo>();
  const lineByBatchTopic = new Map<string, LineInfo>();

  model.sites.forEach((site, si) => {
    site.lines.forEach((line, li) => {
      const batchTopic = fill(model.mqtt.batchTopicTemplate, { site: site.id, line: line.id });
      const lineInfo: LineInfo = {
        path: `${site.id}/${line.id}`,
        site: site.id,
        line: line.id,
        batchTopic,
        device: deviceFor(batchTopic),
      };
      lines.push(lineInfo);
      lineByBatchTopic.set(batchTopic, lineInfo);
      line.machines.forEach((machine, mi) => {
        machine.sensors.forEach((s, ssi) => {
          const ids = { site: site.id, line: line.id, machine: machine.id, sensor: s.id };
          const topic = fill(tpl, ids);
          const toCanonical = converterFor(s.kind, s.unit)!;
          const info: SensorInfo = {
            path: `${site.id}/${line.id}/${machine.id}/${s.id}`,
            ...ids,
            kind: s.kind,
            declaredUnit: s.unit,
            canonicalUnit: KINDS[s.kind].canonical,
            toCanonical,
            range: s.range
              ? orderedPair(toCanonical(s.range[0]), toCanonical(s.range[1]))
              : undefined,
            rollover: s.rollover !== undefined ? toCanonical(s.rollover) : undefined,
            intervalMs: s.interval,
            topic,
            device: deviceFor(topic),
            sinceMs: s.since ? Date.parse(`${s.since}T00:00:00Z`) : undefined,
            config: s,
            machineConfig: machine,
          };
          if (sensorByTopic.has(topic) || lineByBatchTopic.has(topic)) {
            problems.push(
              `sites[${si}].lines[${li}].machines[${mi}].sensors[${ssi}]: topic "${topic}" is used twice; ids must differ`,
            );
          }
          sensors.push(info);
          sensorByTopic.set(topic, info);
          sensorByPath.set(info.path, info);
        });
      });
    });
  });
  if (problems.length) throw new ConfigError(file, problems);

  return {
    model,
    sensors,
    lines,
    sensorByTopic,
    sensorByPath,
    lineByBatchTopic,
    devices: new Map(model.devices.map((d) => [d.id, d])),
    earliestMs: Date.parse(`${model.ingest.earliestTimestamp}T00:00:00Z`),
    ownerOf: (topic) =>
      sensorByTopic.get(topic)?.device ?? lineByBatchTopic.get(topic)?.device ?? deviceFor(topic),
  };
}

function orderedPair(a: number, b: number): [number, number] {
  return a <= b ? [a, b] : [b, a];
}
