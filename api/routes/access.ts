import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DeviceCredentials } from '../../broker/credentials.js';
import { CodedError } from '../../runtime/errors.js';
import { TOKEN_ROLES } from '../../security/roles.js';
import { ApiTokens, TokenError } from '../../security/tokens.js';
import { actorOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { errorBody } from '../errors.js';

const token = z.object({
  name: z.string(),
  role: z.enum(TOKEN_ROLES),
  created: z.number(),
  revoked: z.number().nullable(),
});

/** Who may connect and call: devices (engineer, read-only) and API tokens (admin). Never secrets. */
export const accessRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const tokens = new ApiTokens(deps.store.db, deps.store.audit);
  const credentials = new DeviceCredentials(deps.store.db);
  const asBadRequest = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof TokenError) throw new CodedError('PP_ERR_BAD_REQUEST', err.message);
      throw err;
    }
  };

  app.get(
    '/api/v1/devices',
    {
      config: { role: 'engineer' },
      schema: {
        summary: 'Devices of the plant model: topic prefix and credential state',
        response: {
          200: z.object({
            devices: z.array(
              z.object({
                id: z.string(),
                prefix: z.string(),
                credentials: z.enum(['none', 'active', 'removed']),
                since: z.number().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async () => {
      const creds = new Map(credentials.list().map((c) => [c.id, c]));
      return {
        devices: [...deps.index.devices.values()].map((d) => {
          const c = creds.get(d.id);
          return {
            id: d.id,
            prefix: d.prefix,
            credentials: !c
              ? ('none' as const)
              : c.disabled
                ? ('removed' as const)
                : ('active' as const),
            since: c?.created ?? null,
          };
        }),
      };
    },
  );

  app.get(
    '/api/v1/tokens',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'API tokens: names, roles, state (never secrets)',
        response: { 200: z.object({ tokens: z.array(token) }) },
      },
    },
    async () => ({ tokens: tokens.list() }),
  );

  app.post(
    '/api/v1/tokens',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Create a token; its secret is in this response only',
        body: z.object({ name: z.string(), role: z.enum(TOKEN_ROLES) }),
        response: {
          201: z.object({ name: z.string(), role: z.enum(TOKEN_ROLES), secret: z.string() }),
          400: errorBody,
        },
      },
    },
    async (req, reply) => {
      const { name, role } = req.body;
      const secret = asBadRequest(() => tokens.add(name, role, actorOf(req)));
      void reply.status(201);
      return { name, role, secret };
    },
  );

  app.delete(
    '/api/v1/tokens/:name',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Revoke a token at once',
        params: z.object({ name: z.string() }),
        response: { 204: z.null(), 404: errorBody },
      },
    },
    async (req, reply) => {
      try {
        tokens.revoke(req.params.name, actorOf(req));
      } catch (err) {
        if (err instanceof TokenError) throw new CodedError('PP_ERR_NOT_FOUND', err.message);
        throw err;
      }
      return reply.status(204).send(null);
    },
  );
};
