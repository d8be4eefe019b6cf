/**
 * How a notification reads on each channel: an e-mail subject a maintenance lead can triage
 * from the lock screen ("[CRITICAL] G-201 impeller-vibration: …"), plain text + HTML bodies,
 * and generic JSON, Slack and Microsoft Teams webhook bodies.
 */
import type { PlantIndex } from '../config/plant-index.js';
import type { Notification } from './tables.js';

const VERB: Record<Notification['transition'], string> = {
  open: 'opened',
  reopen: 're-opened',
  escalate: 'escalated',
  acknowledged: 'acknowledged',
  resolved: 'resolved',
  closed: 'closed',
};

export function subject(n: Notification): string {
  const tag =
    n.transition === 'open' || n.transition === 'reopen' || n.transition === 'escalate'
      ? ''
      : ` ${VERB[n.transition].toUpperCase()}:`;
  return `[${n.alert.severity.toUpperCase()}]${tag} ${n.alert.message}`;
}

/** Human name of the asset from the plant model, e.g. "High-shear granulator G-201 (600 L)". */
export function assetName(index: PlantIndex | undefined, asset: string): string {
  const [site, line, machine, sensor] = asset.split('/');
  const m = index?.model.sites
    .find((s) => s.id === site)
    ?.lines.find((l) => l.id === line)
    ?.machines.find((x) => x.id === machine);
  const s = sensor ? m?.sensors.find((x) => x.id === sensor) : undefined;
  return [m?.name ?? machine, s?.name ?? sensor].filter(Boolean).join(' — ') || asset;
}

function facts(n: Notification, index?: PlantIndex): [string, string][] {
  const a = n.alert;
  const rows: [string, string][] = [
    ['Alert', a.message],
    ['Asset', `${assetName(index, a.asset)} (${a.asset})`],
    ['Rule', `${n.rule.id}${n.rule.description ? ` — ${n.rule.description}` : ''}`],
    ['Severity', a.severity],
    ['State', `${a.state} (${VERB[n.transition]} by ${n.by})`],
    ['Opened', new Date(a.openedAt).toISOString()],
    ['Event time', new Date(n.at).toISOString()],
  ];
  if (a.value !== null) rows.push(['Value', String(a.value)]);
  if (a.ackBy) rows.push(['Acknowledged by', `${a.ackBy}${a.ackNote ? `: ${a.ackNote}` : ''}`]);
  if (n.note) rows.push(['Note', n.note]);
  rows.push(['Alert id', a.id]);
  return rows;
}

export function plainText(n: Notification, index?: PlantIndex): string {
  return `${facts(n, index)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n')}\n\nIdempotency key: ${n.key}\n`;
}

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const COLOR = { info: '#2f6fdb', warning: '#d98c00', critical: '#c62828' } as const;

export function html(n: Notification, index?: PlantIndex): string {
  const rows = facts(n, index)
    .map(
      ([k, v]) =>
        `<tr><th align="left" style="padding-right:12px">${esc(k)}</th><td>${esc(v)}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html><body style="font-family:sans-serif">
<h2 style="color:${COLOR[n.alert.severity]}">${esc(subject(n))}</h2>
<table>${rows}</table>
<p style="color:#777;font-size:small">PlantPulse · idempotency key ${esc(n.key)}</p>
</body></html>`;
}

/** Generic JSON: the whole notification, stable field names. */
export function jsonBody(n: Notification, index?: PlantIndex): Record<string, unknown> {
  return { ...n, assetName: assetName(index, n.alert.asset), summary: subject(n) };
}

/** Slack incoming-webhook body (text is the fallback shown in notifications). */
export function slackBody(n: Notification, index?: PlantIndex): Record<string, unknown> {
  return {
    text: subject(n),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: subject(n).slice(0, 150) } },
      {
        type: 'section',
        fields: facts(n, index)
          .slice(1, 9)
          .map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${v}` })),
      },
    ],
  };
}

/** Microsoft Teams (Workflows / incoming webhook) body: an Adaptive Card attachment. */
export function teamsBody(n: Notification, index?: PlantIndex): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              size: 'Medium',
              weight: 'Bolder',
              wrap: true,
              color:
                n.alert.severity === 'critical'
                  ? 'Attention'
                  : n.alert.severity === 'warning'
                    ? 'Warning'
                    : 'Accent',
              text: subject(n),
            },
            { type: 'FactSet', facts: facts(n, index).map(([title, value]) => ({ title, value })) },
          ],
        },
      },
    ],
  };
}
