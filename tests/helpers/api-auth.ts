/**
 * Bearer tokens for tests that build the API in-process (`buildApp(deps)` + `app.inject`):
 * the API enforces roles (api/auth.ts), so such a test issues a real token into its store.
 *
 *   const auth = issueTestToken(store);              // admin
 *   await app.inject({ url, headers: auth.headers });
 */
import { ApiTokens } from '../../security/tokens.js';
import type { TokenRole } from '../../security/roles.js';
import type { Store } from '../../store/store.js';

export interface TestToken {
  secret: string;
  headers: { authorization: string };
}

let n = 0;

/** Creates a token with `role` (admin by default) in `store` and returns its secret and header. */
export function issueTestToken(store: Store, role: TokenRole = 'admin', name?: string): TestToken {
  const secret = new ApiTokens(store.db, store.audit).add(
    name ?? `test-${role}-${++n}`,
    role,
    'test',
  );
  return { secret, headers: { authorization: `Bearer ${secret}` } };
}
