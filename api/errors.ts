import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CodedError, ERRORS } from '../runtime/errors.js';

export const errorBody = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  })
  .describe('Error, with a PP_ERR_* code from the catalogue');

/** Every error leaves the API as `{ error: { code, message } }` with the catalogue's status. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({
      error: {
        code: 'PP_ERR_NOT_FOUND',
        message: `no route ${req.method} ${req.url.split('?')[0]}`,
      },
    });
  });
  app.setErrorHandler((err: FastifyError | CodedError, req, reply) => {
    if (err instanceof CodedError) {
      return reply
        .status(err.status)
        .send({ error: { code: err.code, message: err.message, details: err.details } });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const message = err.validation
        .map(
          (v) =>
            `${v.instancePath.replace(/^\//, '').replace(/\//g, '.') || err.validationContext || 'request'}: ${v.message}`,
        )
        .join('; ');
      return reply.status(400).send({
        error: {
          code: 'PP_ERR_BAD_REQUEST',
          message: `${err.validationContext ?? 'request'} ${message}`,
        },
      });
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply
        .status(err.statusCode)
        .send({ error: { code: 'PP_ERR_BAD_REQUEST', message: err.message } });
    }
    req.log.error({ err }, 'unhandled API error');
    return reply
      .status(500)
      .send({ error: { code: 'PP_ERR_INTERNAL', message: ERRORS.PP_ERR_INTERNAL.title } });
  });
}
