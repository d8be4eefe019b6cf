/**
 * Operator bootstrap of the first admin token. A fresh installation has no token, and
 * `plantpulse tokens add` needs shell access to the data directory; container deployments
 * (and the integration tests) instead pass a secret in PLANTPULSE_BOOTSTRAP_ADMIN_TOKEN, which
 * is installed at start as admin token "bootstrap-admin", hashed like any other. Unset the
 * variable and revoke the token once real tokens exist.
 */
import type { Logger } from '../runtime/logger.js';
import type { Store } from '../store/store.js';
import { ApiTokens } from './tokens.js';

export const BOOTSTRAP_ENV = 'PLANTPULSE_BOOTSTRAP_ADMIN_TOKEN';
export const BOOTSTRAP_TOKEN_NAME = 'bootstrap-admin';

export function bootstrapAdminToken(store: Store, secret: string, log: Logger): void {
  const outcome = new ApiTokens(store.db, store.audit).ensure(
    BOOTSTRAP_TOKEN_NAME,
    'admin',
    secret,
    'system',
  );
  // info, not warn: the operator asked for it; `tokens list` shows it until revoked.
  log.info(
    { token: BOOTSTRAP_TOKEN_NAME, outcome },
    `admin token "${BOOTSTRAP_TOKEN_NAME}" installed from ${BOOTSTRAP_ENV}; revoke it (plantpulse tokens revoke --name ${BOOTSTRAP_TOKEN_NAME}) once personal tokens exist`,
  );
}
