/**
 * `GET /api/v1/reports/energy?month=YYYY-MM&format=json|csv|xlsx|pdf`: the monthly energy
 * report (issue 4) as a download; each export is recorded in the audit trail.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseMonth } from '../../reports/month.js';
import { exportEnergyReport, parseFormat, REPORT_FORMATS } from '../../reports/render.js';
import { actorOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { errorBody } from '../errors.js';

export const reportsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/api/v1/reports/energy',
    {
      config: { role: 'energy' },
      schema: {
        summary:
          'Monthly energy report (site local month): totals (totalKWh), lines, products, batches, idle share, top consumers, daily series, peak demand, previous month, EnPI baseline',
        // Checked in the handler so a bad value gets an error that names the parameter and the form.
        querystring: z.object({
          month: z.string().optional().describe('YYYY-MM, in the site time zone'),
          format: z.string().default('json').describe(REPORT_FORMATS.join(' | ')),
        }),
        response: {
          200: z.any().describe('the report: JSON, or a CSV/XLSX/PDF file (content-disposition)'),
          400: errorBody,
          404: errorBody,
        },
      },
    },
    async (req, reply) => {
      const month = parseMonth(req.query.month, 'month').id;
      const format = parseFormat(req.query.format, 'format');
      const out = await exportEnergyReport({
        db: deps.store.db,
        index: deps.index,
        month,
        format,
        audit: deps.store.audit,
        actor: actorOf(req),
        worker: { dataDir: deps.dataDir },
      });
      void reply.header('content-type', out.contentType);
      if (format !== 'json')
        void reply.header('content-disposition', `attachment; filename="${out.fileName}"`);
      return reply.send(out.body);
    },
  );
};
