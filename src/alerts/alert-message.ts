/**
 * Turns one Alertmanager notification (a group of alerts) into the message each robot
 * understands. Pure functions: no I/O, so the exact text is unit-tested.
 */
import type { AlertChannel } from '../metrics/metrics.service';

export interface RelayAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint?: string;
}

export interface AlertNotification {
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  /** Absent from Alertmanager before 0.22, which never truncates. */
  truncatedAlerts?: number;
  alerts: RelayAlert[];
}

export interface DingTalkPayload {
  msgtype: 'markdown';
  markdown: { title: string; text: string };
}
export interface WeComPayload {
  msgtype: 'markdown';
  markdown: { content: string };
}
export interface SlackPayload {
  text: string;
}
export type RobotPayload = DingTalkPayload | WeComPayload | SlackPayload;

/**
 * Size budgets. WeCom refuses markdown content over 4096 bytes; DingTalk and Slack accept more,
 * but a chat message longer than this is not read anyway: the rest is summarised as "N more".
 */
export const MESSAGE_BUDGET: Record<AlertChannel, { max: number; unit: 'chars' | 'bytes' }> = {
  dingtalk: { max: 4000, unit: 'chars' },
  wecom: { max: 4000, unit: 'bytes' },
  slack: { max: 3500, unit: 'chars' },
};

const FIELD_MAX = { name: 120, short: 200, summary: 300, description: 1000 } as const;

/** Control characters (except newline and tab) would break or hide parts of a chat message. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Cuts at a code-point boundary (never half of a surrogate pair) and marks the cut. */
export function clip(s: string, max: number): string {
  const cps = Array.from(s);
  return cps.length <= max ? s : `${cps.slice(0, max - 1).join('')}…`;
}

function oneLine(s: string | undefined, max: number = FIELD_MAX.short): string {
  return clip(
    (s ?? '')
      .replace(CONTROL, '')
      .replace(/[\r\n\t]+/g, ' ')
      .trim(),
    max,
  );
}

function multiLine(s: string | undefined, max: number): string {
  return clip(
    (s ?? '')
      .replace(/\r\n?/g, '\n')
      .replace(CONTROL, '')
      .replace(/\n{2,}/g, '\n')
      .trim(),
    max,
  );
}

/** Only http(s) links are rendered: a label or annotation must not smuggle other schemes into a chat client. */
function httpUrl(s: string | undefined): string | null {
  if (!s) return null;
  try {
    const u = new URL(s.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : null;
  } catch {
    return null;
  }
}

/** "2025-05-01 12:00:00 UTC"; null for Go's zero time and unparsable input. */
export function formatTime(s: string): string | null {
  const d = new Date(s);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1970) return null;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** The facts every channel shows for one alert, already cleaned and bounded. */
export interface AlertFacts {
  status: 'FIRING' | 'RESOLVED';
  alertname: string;
  severity: string;
  instance: string;
  summary: string;
  description: string;
  startsAt: string | null;
  endsAt: string | null;
  lasted: string | null;
  runbookUrl: string | null;
  sourceUrl: string | null;
}

export function alertFacts(a: RelayAlert, common: AlertNotification): AlertFacts {
  const ann = (k: string) => a.annotations[k] ?? common.commonAnnotations[k];
  const resolved = a.status === 'resolved';
  const start = new Date(a.startsAt).getTime();
  const end = new Date(a.endsAt).getTime();
  return {
    status: resolved ? 'RESOLVED' : 'FIRING',
    alertname: oneLine(a.labels.alertname, FIELD_MAX.name) || 'unnamed alert',
    severity: oneLine(a.labels.severity, FIELD_MAX.name),
    instance: oneLine(a.labels.instance),
    summary: oneLine(ann('summary'), FIELD_MAX.summary),
    description: multiLine(ann('description'), FIELD_MAX.description),
    startsAt: formatTime(a.startsAt),
    endsAt: resolved ? formatTime(a.endsAt) : null,
    lasted:
      resolved && formatTime(a.endsAt) && formatTime(a.startsAt) && end >= start
        ? formatDuration(end - start)
        : null,
    runbookUrl: httpUrl(ann('runbook_url')),
    sourceUrl: httpUrl(a.generatorURL),
  };
}

/** "[FIRING:2] HighErrorRate (critical)", "[RESOLVED] InstanceDown", "[FIRING:1, RESOLVED:2] 2 alerts". */
export function headline(n: AlertNotification): string {
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  const resolved = n.alerts.length - firing;
  let counts: string;
  if (firing && resolved) counts = `FIRING:${firing}, RESOLVED:${resolved}`;
  else if (firing) counts = `FIRING:${firing}`;
  else counts = resolved > 1 ? `RESOLVED:${resolved}` : 'RESOLVED';
  const names = [
    ...new Set(n.alerts.map((a) => a.labels.alertname).filter((x): x is string => Boolean(x))),
  ];
  const name =
    n.groupLabels.alertname ??
    n.commonLabels.alertname ??
    (names.length === 1 ? names[0] : `${n.alerts.length} alerts`);
  const severity = n.commonLabels.severity
    ? ` (${oneLine(n.commonLabels.severity, FIELD_MAX.name)})`
    : '';
  return `[${counts}] ${oneLine(name, FIELD_MAX.name)}${severity}`;
}

/** Firing alerts first: they are what somebody has to act on. */
function ordered(n: AlertNotification): RelayAlert[] {
  return [
    ...n.alerts.filter((a) => a.status === 'firing'),
    ...n.alerts.filter((a) => a.status !== 'firing'),
  ];
}

interface Flavor {
  header(title: string, n: AlertNotification): string;
  alert(f: AlertFacts): string;
  more(count: number): string;
  footer(n: AlertNotification): string;
  separator: string;
}

const ICON = { FIRING: '🔥', RESOLVED: '✅' } as const;

const DINGTALK: Flavor = {
  header: (title) => `### ${title}`,
  alert: (f) => {
    const lines = [
      `#### ${ICON[f.status]} ${f.status} · ${f.alertname}${f.severity ? ` · ${f.severity}` : ''}`,
    ];
    if (f.instance) lines.push(`- **Instance:** ${f.instance}`);
    if (f.summary) lines.push(`- **Summary:** ${f.summary}`);
    if (f.description) lines.push(`- **Description:** ${f.description.replace(/\n/g, ' ')}`);
    if (f.startsAt) lines.push(`- **Started:** ${f.startsAt}`);
    if (f.endsAt)
      lines.push(`- **Resolved:** ${f.endsAt}${f.lasted ? ` (after ${f.lasted})` : ''}`);
    const links = [
      f.runbookUrl && `[Runbook](${f.runbookUrl})`,
      f.sourceUrl && `[Source](${f.sourceUrl})`,
    ].filter(Boolean);
    if (links.length) lines.push(`- ${links.join(' · ')}`);
    return lines.join('\n');
  },
  more: (count) => `…and ${count} more alert${count === 1 ? '' : 's'} not shown.`,
  footer: (n) => footerParts(n, (url) => `[Alertmanager](${url})`).join(' · '),
  separator: '\n\n',
};

const WECOM_COLOR = { FIRING: 'warning', RESOLVED: 'info' } as const;

const WECOM: Flavor = {
  header: (title) => `### ${title}`,
  alert: (f) => {
    // WeCom markdown has no lists; quotes keep the fields of one alert together.
    const lines = [
      `**<font color="${WECOM_COLOR[f.status]}">${f.status}</font> ${f.alertname}**${f.severity ? ` (${f.severity})` : ''}`,
    ];
    if (f.instance) lines.push(`> Instance: <font color="comment">${f.instance}</font>`);
    if (f.summary) lines.push(`> Summary: ${f.summary}`);
    if (f.description) lines.push(`> Description: ${f.description.replace(/\n/g, ' ')}`);
    if (f.startsAt) lines.push(`> Started: ${f.startsAt}`);
    if (f.endsAt) lines.push(`> Resolved: ${f.endsAt}${f.lasted ? ` (after ${f.lasted})` : ''}`);
    const links = [
      f.runbookUrl && `[Runbook](${f.runbookUrl})`,
      f.sourceUrl && `[Source](${f.sourceUrl})`,
    ].filter(Boolean);
    if (links.length) lines.push(`> ${links.join(' · ')}`);
    return lines.join('\n');
  },
  more: (count) => `…and ${count} more alert${count === 1 ? '' : 's'} not shown.`,
  footer: (n) => footerParts(n, (url) => `[Alertmanager](${url})`).join(' · '),
  separator: '\n\n',
};

/** Slack mrkdwn: &, < and > are control characters and must be escaped in text. */
function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
/** Inside <url|label> a "|" or ">" would end the link early. */
function slackLink(url: string, label: string): string {
  return `<${url.replace(/\|/g, '%7C').replace(/>/g, '%3E')}|${label}>`;
}

const SLACK: Flavor = {
  header: (title) => `*${slackEscape(title)}*`,
  alert: (f) => {
    const head = [
      `${f.status === 'FIRING' ? ':fire:' : ':white_check_mark:'} *${f.status}* · *${slackEscape(f.alertname)}*`,
    ];
    if (f.severity) head.push(slackEscape(f.severity));
    if (f.instance) head.push(`\`${slackEscape(f.instance).replace(/`/g, "'")}\``);
    const lines = [head.join(' · ')];
    if (f.summary) lines.push(`*Summary:* ${slackEscape(f.summary)}`);
    if (f.description) lines.push(`*Description:* ${slackEscape(f.description)}`);
    if (f.startsAt) lines.push(`*Started:* ${f.startsAt}`);
    if (f.endsAt) lines.push(`*Resolved:* ${f.endsAt}${f.lasted ? ` (after ${f.lasted})` : ''}`);
    const links = [
      f.runbookUrl && slackLink(f.runbookUrl, 'Runbook'),
      f.sourceUrl && slackLink(f.sourceUrl, 'Source'),
    ].filter(Boolean);
    if (links.length) lines.push(links.join(' · '));
    return lines.join('\n');
  },
  more: (count) => `_…and ${count} more alert${count === 1 ? '' : 's'} not shown._`,
  footer: (n) => footerParts(n, (url) => slackLink(url, 'Alertmanager')).join(' · '),
  separator: '\n\n',
};

function footerParts(n: AlertNotification, link: (url: string) => string): string[] {
  const parts: string[] = [];
  const truncated = n.truncatedAlerts ?? 0;
  if (truncated > 0)
    parts.push(`${truncated} more alert${truncated === 1 ? '' : 's'} truncated by Alertmanager`);
  const am = httpUrl(n.externalURL);
  if (am) parts.push(link(am));
  return parts;
}

const FLAVORS: Record<AlertChannel, Flavor> = { dingtalk: DINGTALK, wecom: WECOM, slack: SLACK };

function size(s: string, unit: 'chars' | 'bytes'): number {
  return unit === 'bytes' ? Buffer.byteLength(s, 'utf8') : Array.from(s).length;
}

/**
 * The markdown text of a notification for one channel: header, as many alerts as fit the
 * channel's budget (firing first), "…and N more", footer. Never longer than the budget.
 */
export function renderText(n: AlertNotification, channel: AlertChannel): string {
  const flavor = FLAVORS[channel];
  const budget = MESSAGE_BUDGET[channel];
  const sep = flavor.separator;
  const header = flavor.header(headline(n), n);
  const footer = flavor.footer(n);
  const alerts = ordered(n);
  // Room kept for the "…and N more" line and the footer, so they always fit.
  const reserve = size(
    sep + flavor.more(alerts.length) + (footer ? sep + footer : ''),
    budget.unit,
  );
  let text = header;
  let shown = 0;
  for (const a of alerts) {
    const remaining = alerts.length - shown - 1;
    const tail = remaining > 0 ? reserve : size(footer ? sep + footer : '', budget.unit);
    const facts = alertFacts(a, n);
    let block = sep + flavor.alert(facts);
    if (size(text + block, budget.unit) + tail > budget.max) {
      if (shown > 0) break;
      // The first alert is always shown: without its description and source link, and cut
      // to the space left if even that is too long (huge annotations, CJK text on WeCom).
      block = sep + flavor.alert({ ...facts, description: '', sourceUrl: null });
      const room = budget.max - size(text, budget.unit) - tail;
      if (size(block, budget.unit) > room)
        block = budget.unit === 'bytes' ? clipBytes(block, room) : clip(block, room);
    }
    text += block;
    shown++;
  }
  if (shown < alerts.length) text += sep + flavor.more(alerts.length - shown);
  if (footer) text += sep + footer;
  // A single huge header cannot happen (fields are clipped), but the budget is a hard limit.
  return budget.unit === 'bytes' ? clipBytes(text, budget.max) : clip(text, budget.max);
}

function clipBytes(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  let out = '';
  let bytes = 0;
  for (const cp of s) {
    const b = Buffer.byteLength(cp, 'utf8');
    if (bytes + b > maxBytes - 3) break;
    out += cp;
    bytes += b;
  }
  return `${out}…`;
}

/** The JSON body each robot's webhook takes. */
export function renderPayload(n: AlertNotification, channel: AlertChannel): RobotPayload {
  const text = renderText(n, channel);
  switch (channel) {
    case 'dingtalk':
      // The title is what the phone notification and the chat list show.
      return { msgtype: 'markdown', markdown: { title: clip(headline(n), 64), text } };
    case 'wecom':
      return { msgtype: 'markdown', markdown: { content: text } };
    case 'slack':
      return { text };
  }
}
