/**
 * API authentication and authorisation (DESIGN C6), in one place for every route:
 *
 * - every route must declare `config: { role }` (api/deps.ts); a route registered without one
 *   makes `buildApp` fail, so a new route can never be open by omission (fail closed). The only
 *   routes that do not declare a role are those the plugins register themselves, listed in
 *   PLUGIN_ROUTES with the role given to them;
 * - one onRequest hook (`checkRole`, attached to every non-public route) checks the bearer token against the role lattice (security/roles.ts):
 *   401 PP_ERR_UNAUTHORIZED without a valid token, 403 PP_ERR_FORBIDDEN when its role falls short;
 * - rate limits per token (per client address without one), CORS only for listed origins.
 *
 * `req.principal` names the caller afterwards: routes that change things write it to the audit
 * trail as the actor (`actorOf(req)`).
 */
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { CodedError } from '../runtime/errors.js';
import { roleAllows, type RouteRole } from '../security/roles.js';
import { ApiTokens, type Principal } from '../security/tokens.js';
import type { ApiDeps } from './deps.js';

/**
 * Routes registered by plugins, which cannot carry our route config:
 * - the OpenAPI reference (@fastify/swagger-ui under /docs) is public: it describes the routes,
 *   holds no plant data, and a browser cannot send a bearer token when it opens the page;
 * - the CORS preflight (@fastify/cors, `OPTIONS *`) is public: browsers never send credentials
 *   on a preflight, and it only answers which origins may call.
 */
const PLUGIN_ROUTES: { match: (r: RouteOptions) => boolean; role: RouteRole }[] = [
  { match: (r) => r.url === '/docs' || r.url.startsWith('/docs/'), role: 'public' },
  { match: (r) => r.method === 'OPTIONS' && r.url === '*', role: 'public' },
];

/** OpenAPI: every operation takes a bearer token (the few public routes simply ignore it). */
export const openApiSecurity = {
  components: {
    securitySchemes: {
      bearerAuth: {
        type: 'http' as const,
        scheme: 'bearer',
        description: 'An API token (`plantpulse tokens add`); its role must cover the route.',
      },
    },
  },
  security: [{ bearerAuth: [] }],
};

export interface RouteRoleEntry {
  method: string;
  url: string;
  role: RouteRole;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its role, in registration order (tests check each one). */
    routeRoles: RouteRoleEntry[];
  }
  interface FastifyRequest {
    /** Who is calling; set by the auth hook on every route that is not public. */
    principal?: Principal;
  }
}

/** The audit actor for a request: `token:<name>`. */
export function actorOf(req: FastifyRequest): string {
  return req.principal ? `token:${req.principal.name}` : 'anonymous';
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : '';
}

/** Installs the role check, rate limit and CORS; call before any route is registered. */
export async function installAuth(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const http = deps.index.model.http;
  const tokens = new ApiTokens(deps.store.db, deps.store.audit);
  const routes: RouteRoleEntry[] = [];
  app.decorate('routeRoles', routes);
  app.decorateRequest('principal', undefined);

  // A request's principal is looked up once: the rate limiter keys by it, the role check uses it.
  const principals = new WeakMap<FastifyRequest, Principal | null>();
  const principalOf = (req: FastifyRequest): Principal | null => {
    let p = principals.get(req);
    if (p === undefined) {
      const secret = bearer(req);
      p = (secret && tokens.verify(secret)) || null;
      principals.set(req, p);
    }
    return p;
  };

  if (http.rateLimit.enabled) {
    await app.register(rateLimit, {
      global: true,
      max: http.rateLimit.max,
      timeWindow: http.rateLimit.window,
      // Keyed by the verified token, so one busy dashboard cannot starve another behind the
      // same NAT; invalid tokens count against the address they come from.
      keyGenerator: (req) => {
        const p = principalOf(req);
        return p ? `token:${p.name}` : `ip:${req.ip}`;
      },
      // Liveness probes must never be throttled into a restart.
      allowList: (req) => req.routeOptions.config?.role === 'public',
      errorResponseBuilder: (_req, ctx) =>
        new CodedError(
          'PP_ERR_RATE_LIMITED',
          `rate limit of ${ctx.max} requests per ${ctx.after} reached for this token (or address); retry later or raise http.rateLimit.max`,
        ),
    });
  }

  app.addHook('onRoute', (r) => {
    let role = r.config?.role;
    if (!role) {
      role = PLUGIN_ROUTES.find((p) => p.match(r))?.role;
      if (!role) {
        throw new Error(
          `route ${String(r.method)} ${r.url} declares no role: add config: { role: 'viewer' | 'engineer' | 'maintenance' | 'energy' | 'admin' | 'public' } (api/deps.ts); routes without one are refused so none is open by mistake`,
        );
      }
      r.config = { ...r.config, role };
    }
    for (const method of [r.method].flat()) routes.push({ method, url: r.url, role });
    // Route-level, so it runs after the rate limiter's hook (added the same way, earlier):
    // a flood of bad tokens is throttled per address before any lookup.
    if (role !== 'public') r.onRequest = [...[r.onRequest ?? []].flat(), checkRole];
  });

  if (http.cors) {
    await app.register(cors, { origin: http.cors.origins, credentials: false });
  }

  if (http.auth === 'off') {
    app.log.warn(
      '!!! THE HTTP API IS OPEN (http.auth: off): anyone who reaches the port can read plant data and change settings. Use only for a demo; set http.auth: tokens and create tokens with `plantpulse tokens add`. !!!',
    );
  }

  async function checkRole(req: FastifyRequest): Promise<void> {
    const role = req.routeOptions.config?.role;
    if (!role) {
      // Unreachable while the onRoute check stands; kept so a gap fails closed, not open.
      throw new CodedError(
        'PP_ERR_INTERNAL',
        `route ${req.method} ${req.routeOptions.url} has no role`,
      );
    }
    if (role === 'public') return;
    if (http.auth === 'off') {
      req.principal = { name: 'auth-off', role: 'admin' };
      return;
    }
    const secret = bearer(req);
    if (secret === undefined) {
      throw new CodedError(
        'PP_ERR_UNAUTHORIZED',
        `${req.method} ${req.routeOptions.url} needs a bearer token with role ${role}: send "Authorization: Bearer <token>" (an admin creates one with \`plantpulse tokens add --name NAME --role ${role}\`)`,
      );
    }
    const principal = principalOf(req);
    if (!principal) {
      throw new CodedError(
        'PP_ERR_UNAUTHORIZED',
        secret === ''
          ? 'the Authorization header must be "Bearer <token>"'
          : 'the bearer token is unknown or revoked',
      );
    }
    if (!roleAllows(principal.role, role)) {
      throw new CodedError(
        'PP_ERR_FORBIDDEN',
        `token "${principal.name}" has role ${principal.role}; ${req.method} ${req.routeOptions.url} needs role ${role}${role === 'admin' ? '' : ' (or admin)'}`,
        { role: principal.role, required: role },
      );
    }
    req.principal = principal;
  }
}
