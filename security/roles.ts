/**
 * The role lattice of the HTTP API (DESIGN C6):
 *
 *                 admin
 *        ┌──────────┼──────────┐
 *    engineer  maintenance   energy
 *        └──────────┼──────────┘
 *                 viewer
 *
 * viewer reads plant data; engineer adds what process engineers need (dead letters, device and
 * configuration views); maintenance adds acting on alerts (ack, resolve); energy adds report
 * exports; admin may do everything, including tokens and the audit trail. The three middle
 * roles are siblings, not a chain: an energy manager has no business acknowledging alarms.
 * `public` is not a token role: it marks routes that need no token (liveness only).
 */
export const TOKEN_ROLES = ['viewer', 'engineer', 'maintenance', 'energy', 'admin'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];
export type RouteRole = TokenRole | 'public';

export function isTokenRole(s: string): s is TokenRole {
  return (TOKEN_ROLES as readonly string[]).includes(s);
}

/** True when a token of role `has` may call a route that declares `needs`. */
export function roleAllows(has: TokenRole, needs: RouteRole): boolean {
  if (needs === 'public' || has === 'admin' || has === needs) return true;
  return needs === 'viewer'; // every token role includes viewer
}
