/**
 * Notification channels: e-mail over SMTP (nodemailer), webhook (JSON / Slack / Teams) and an
 * MQTT alert topic on the embedded broker. Each delivers one notification and resolves on
 * success; a thrown DeliveryError says whether retrying can help. Secrets come from the
 * environment variables the channel names and never appear in errors or logs.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type {
  ChannelConfig,
  EmailChannelConfig,
  MqttChannelConfig,
  WebhookChannelConfig,
} from '../config/alerts-schema.js';
import type { PlantIndex } from '../config/plant-index.js';
import { html, jsonBody, plainText, slackBody, subject, teamsBody } from './render.js';
import type { Notification } from './tables.js';

export class DeliveryError extends Error {
  constructor(
    message: string,
    /** False when the receiver refused the notification itself (e.g. HTTP 400): retrying cannot help. */
    readonly retryable = true,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface Channel {
  readonly id: string;
  /** `abort` fires when PlantPulse shuts down mid-delivery (the row stays pending). */
  deliver(n: Notification, abort?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** Publishes on the embedded broker (aedes.publish wrapped by the runtime). */
export type MqttPublish = (
  topic: string,
  payload: Buffer,
  opts: { qos: 0 | 1; retain: boolean },
) => Promise<void>;

export interface ChannelDeps {
  index?: PlantIndex;
  env?: NodeJS.ProcessEnv;
  mqttPublish?: MqttPublish;
}

function secret(env: NodeJS.ProcessEnv, name: string, channel: string): string {
  const v = env[name];
  if (v === undefined || v === '')
    throw new DeliveryError(`channel "${channel}": environment variable ${name} is not set`);
  return v;
}

export function createChannel(cfg: ChannelConfig, deps: ChannelDeps): Channel {
  switch (cfg.type) {
    case 'email':
      return emailChannel(cfg, deps);
    case 'webhook':
      return webhookChannel(cfg, deps);
    case 'mqtt':
      return mqttChannel(cfg, deps);
  }
}

function emailChannel(cfg: EmailChannelConfig, deps: ChannelDeps): Channel {
  const env = deps.env ?? process.env;
  let transport: Transporter | undefined;
  const open = () =>
    (transport ??= nodemailer.createTransport({
      host: cfg.host,
      port: cfg.port,
      secure: cfg.secure,
      requireTLS: cfg.requireTLS,
      connectionTimeout: cfg.timeout,
      greetingTimeout: cfg.timeout,
      socketTimeout: cfg.timeout,
      auth: cfg.user
        ? { user: cfg.user, pass: cfg.passwordEnv ? secret(env, cfg.passwordEnv, cfg.id) : '' }
        : undefined,
    }));
  return {
    id: cfg.id,
    async deliver(n) {
      try {
        await open().sendMail({
          from: cfg.from,
          to: cfg.to,
          subject: subject(n),
          text: plainText(n, deps.index),
          html: html(n, deps.index),
          // The e-mail form of the idempotency key: clients and archives collapse equal Message-IDs.
          messageId: `<${n.key.replace(/[^A-Za-z0-9._-]/g, '.')}@plantpulse>`,
          headers: { 'X-PlantPulse-Idempotency-Key': n.key, 'X-PlantPulse-Alert': n.alert.id },
        });
      } catch (err) {
        if (err instanceof DeliveryError) throw err;
        const e = err as { responseCode?: number; message: string };
        // SMTP 5xx is a permanent refusal (RFC 5321 §4.2.1); 4xx and network errors are transient.
        throw new DeliveryError(
          `SMTP ${cfg.host}:${cfg.port}: ${e.message}`,
          !(e.responseCode && e.responseCode >= 500),
        );
      }
    },
    async close() {
      transport?.close();
    },
  };
}

function webhookChannel(cfg: WebhookChannelConfig, deps: ChannelDeps): Channel {
  const env = deps.env ?? process.env;
  const render = { json: jsonBody, slack: slackBody, teams: teamsBody }[cfg.format];
  return {
    id: cfg.id,
    async deliver(n, abort) {
      const url = cfg.url ?? secret(env, cfg.urlEnv!, cfg.id);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'idempotency-key': n.key,
        'user-agent': 'PlantPulse-alerts',
      };
      for (const [h, name] of Object.entries(cfg.headersEnv))
        headers[h] = secret(env, name, cfg.id);
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify(render(n, deps.index)),
          signal: abort
            ? AbortSignal.any([abort, AbortSignal.timeout(cfg.timeout)])
            : AbortSignal.timeout(cfg.timeout),
        });
      } catch (err) {
        // The URL may carry a secret (Slack, Teams): name the channel, not the URL.
        throw new DeliveryError(`webhook "${cfg.id}": ${(err as Error).message}`);
      }
      await res.body?.cancel();
      if (res.ok) return;
      // 408, 425, 429 and 5xx may pass later; any other 4xx refuses this request for good.
      const retryable = res.status >= 500 || [408, 425, 429].includes(res.status);
      throw new DeliveryError(`webhook "${cfg.id}": HTTP ${res.status}`, retryable);
    },
    async close() {},
  };
}

export function mqttTopic(template: string, n: Notification): string {
  const [site = '', line = '', machine = ''] = n.alert.asset.split('/');
  const vars: Record<string, string> = {
    asset: n.alert.asset,
    rule: n.alert.rule,
    severity: n.alert.severity,
    site,
    line,
    machine,
  };
  return template.replace(
    /\{(asset|rule|severity|site|line|machine)\}/g,
    (_, k: string) => vars[k]!,
  );
}

function mqttChannel(cfg: MqttChannelConfig, deps: ChannelDeps): Channel {
  return {
    id: cfg.id,
    async deliver(n) {
      if (!deps.mqttPublish)
        throw new DeliveryError(`channel "${cfg.id}": no MQTT broker is running`);
      // Retained: a client connecting later gets each alert's newest state at once; a closed
      // alert's retained message is removed by an empty retained one (MQTT 3.1.1 §3.3.1.3).
      const payload =
        cfg.retain && n.transition === 'closed'
          ? Buffer.alloc(0)
          : Buffer.from(JSON.stringify(jsonBody(n, deps.index)));
      await deps.mqttPublish(mqttTopic(cfg.topic, n), payload, {
        qos: cfg.qos,
        retain: cfg.retain,
      });
    },
    async close() {},
  };
}
