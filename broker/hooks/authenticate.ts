/**
 * CONNECT authentication (MQTT 3.1.1 §3.1.2.8–9, CONNACK return codes §3.2.2.3):
 * 4 = bad user name or password, 5 = not authorized.
 *
 * A client that came over mutual TLS with a verified certificate is the device the certificate
 * names (MQTT 3.1.1 §5.4.1 allows the TLS identity to stand in for a password); a user name, if
 * sent, must be that same device. Either way the topic ACL of that device applies.
 */
import type { AuthenticateError, Client } from 'aedes';
import type { BrokerContext } from '../context.js';

function refuse(returnCode: 4 | 5, message: string): AuthenticateError {
  const err = new Error(message) as AuthenticateError;
  (err as { returnCode: number }).returnCode = returnCode;
  return err;
}

export function authenticateHook(ctx: BrokerContext) {
  const allowAnonymous = ctx.index.model.mqtt.allowAnonymous;
  return (
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (err: AuthenticateError | null, ok: boolean | null) => void,
  ): void => {
    const certDevice = ctx.certDevices?.get(client);
    if (certDevice !== undefined) return certLogin(ctx, client, certDevice, username, done);
    if (!username) {
      if (allowAnonymous) {
        ctx.identities.set(client, { device: null });
        return done(null, true);
      }
      ctx.metrics.authFailures.inc({ reason: 'anonymous' });
      ctx.log.warn(
        { clientId: client.id },
        'refused anonymous MQTT connection (mqtt.allowAnonymous is false)',
      );
      return done(refuse(5, 'anonymous access is disabled'), null);
    }
    const device = ctx.index.devices.get(username);
    if (!device) {
      ctx.metrics.authFailures.inc({ reason: 'unknown_device' });
      ctx.log.warn(
        { clientId: client.id, device: username },
        'refused MQTT connection: device is not in the plant model',
      );
      return done(refuse(5, 'unknown device'), null);
    }
    ctx.credentials
      .login(username, password?.toString('utf8') ?? '')
      .then((login) => {
        const { result } = login;
        if (login.result === 'ok') {
          // The matched hash stays with the session: broker/sessions.ts closes it once that changes.
          ctx.identities.set(client, {
            device,
            login: { kind: 'password', secretHash: login.secretHash },
          });
          return done(null, true);
        }
        ctx.metrics.authFailures.inc({
          reason: result === 'unknown' ? 'no_credentials' : 'wrong_secret',
        });
        ctx.log.warn(
          { clientId: client.id, device: username },
          result === 'unknown'
            ? `refused MQTT connection: device has no credentials yet (run: plantpulse devices add --device ${username})`
            : 'refused MQTT connection: wrong secret',
        );
        done(refuse(4, 'bad user name or password'), null);
      })
      .catch((err: Error) => {
        ctx.log.error({ err, device: username }, 'credential check failed');
        done(refuse(5, 'credential check failed'), null);
      });
  };
}

function certLogin(
  ctx: BrokerContext,
  client: Client,
  certDevice: string,
  username: string | undefined,
  done: (err: AuthenticateError | null, ok: boolean | null) => void,
): void {
  const device = certDevice ? ctx.index.devices.get(certDevice) : undefined;
  let reason: string | undefined;
  if (!device)
    reason = 'the client certificate names no device of the plant model (CN or subjectAltName)';
  else if (username && username !== device.id)
    reason = `the client certificate identifies device "${device.id}", not "${username}"`;
  else if (ctx.credentials.revoked(device.id))
    reason = `device "${device.id}" was removed (plantpulse devices remove)`;
  if (reason || !device) {
    ctx.metrics.authFailures.inc({ reason: 'certificate' });
    ctx.log.warn(
      { clientId: client.id, device: certDevice || undefined, username },
      `refused MQTT connection: ${reason}`,
    );
    return done(refuse(5, reason ?? 'not authorized'), null);
  }
  ctx.identities.set(client, { device, login: { kind: 'certificate' } });
  done(null, true);
}
