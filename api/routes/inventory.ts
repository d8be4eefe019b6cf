import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';

const sensorOut = z.object({
  path: z.string().describe('site/line/machine/sensor'),
  site: z.string(),
  line: z.string(),
  machine: z.string(),
  sensor: z.string(),
  name: z.string().nullable(),
  machineName: z.string().nullable(),
  kind: z.string(),
  unit: z.string().describe('canonical unit the API returns values in'),
  declaredUnit: z.string().describe('unit the device sends in'),
  topic: z.string().describe('MQTT topic the device publishes readings to'),
  device: z.string().nullable().describe('device allowed to publish this sensor'),
  intervalMs: z.number(),
  range: z.tuple([z.number(), z.number()]).nullable(),
  critical: z.boolean(),
});

/** What is stored and what the plant model declares: counts, sensors. */
export const inventoryRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/api/v1/stats',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Counts of what the local log holds',
        response: {
          200: z.object({
            readings: z
              .number()
              .describe(
                'rows devices sent that are stored in the log (readings, waveform blocks, batch events)',
              ),
            derivedRows: z
              .number()
              .describe('rows analytics operators derived (anomaly scores, energy, wear)'),
            actionRows: z
              .number()
              .describe('alert acknowledgements and resolutions people recorded through the API'),
            deadLetters: z.number().describe('rows in the dead-letter table'),
            series: z.number(),
            logPosition: z.number(),
            sensors: z.number(),
            devices: z.number(),
            rejectsByCode: z.record(z.string(), z.number()),
            analytics: z
              .record(
                z.string(),
                z.object({
                  position: z.number(),
                  lag: z.number().describe('log positions still to consume'),
                }),
              )
              .describe('progress of each analytics operator'),
          }),
        },
      },
    },
    async () => {
      const c = deps.store.queries.counts();
      return {
        readings: c.readings,
        derivedRows: c.derivedRows,
        actionRows: c.actionRows,
        deadLetters: c.deadLetters,
        series: c.series,
        logPosition: c.lastPos,
        sensors: deps.index.sensors.length,
        devices: deps.index.devices.size,
        analytics: Object.fromEntries(
          Object.entries(deps.analyticsPositions?.() ?? {}).map(([name, position]) => [
            name,
            { position, lag: Math.max(0, c.lastPos - position) },
          ]),
        ),
        rejectsByCode: Object.fromEntries(
          deps.store.queries.deadLettersByReason().map((r) => [r.code, r.count]),
        ),
      };
    },
  );

  app.get(
    '/api/v1/sensors',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Every sensor of the plant model with its MQTT topic and publishing device',
        querystring: z.object({ kind: z.string().optional(), machine: z.string().optional() }),
        response: { 200: z.object({ sensors: z.array(sensorOut) }) },
      },
    },
    async (req) => {
      const { kind, machine } = req.query;
      const sensors = deps.index.sensors
        .filter((s) => (!kind || s.kind === kind) && (!machine || s.machine === machine))
        .map((s) => ({
          path: s.path,
          site: s.site,
          line: s.line,
          machine: s.machine,
          sensor: s.sensor,
          name: s.config.name ?? null,
          machineName: s.machineConfig.name ?? null,
          kind: s.kind,
          unit: s.canonicalUnit,
          declaredUnit: s.declaredUnit,
          topic: s.topic,
          device: s.device ?? null,
          intervalMs: s.intervalMs,
          range: s.range ?? null,
          critical: s.config.critical,
        }));
      return { sensors };
    },
  );
};
