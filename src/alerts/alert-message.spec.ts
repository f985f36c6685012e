import {
  AlertNotification,
  clip,
  formatTime,
  headline,
  MESSAGE_BUDGET,
  RelayAlert,
  renderPayload,
  renderText,
} from './alert-message';

function alert(over: Partial<RelayAlert> = {}): RelayAlert {
  return {
    status: 'firing',
    labels: {
      alertname: 'InstanceDown',
      severity: 'critical',
      instance: 'onair-1:3000',
      job: 'onair',
    },
    annotations: {
      summary: 'OnAir replica onair-1:3000 is down',
      description: 'Prometheus has not been able to scrape onair-1:3000.',
      runbook_url: 'https://example.com/readme#runbook-instancedown',
    },
    startsAt: '2025-05-01T12:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=up',
    fingerprint: 'abc',
    ...over,
  };
}

function notification(
  alerts: RelayAlert[],
  over: Partial<AlertNotification> = {},
): AlertNotification {
  return {
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'critical',
    groupLabels: { alertname: 'InstanceDown', instance: 'onair-1:3000' },
    commonLabels: { alertname: 'InstanceDown', severity: 'critical', instance: 'onair-1:3000' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    truncatedAlerts: 0,
    alerts,
    ...over,
  };
}

describe('alert messages', () => {
  it('renders the DingTalk markdown of one firing alert exactly', () => {
    expect(renderPayload(notification([alert()]), 'dingtalk')).toEqual({
      msgtype: 'markdown',
      markdown: {
        title: '[FIRING:1] InstanceDown (critical)',
        text: [
          '### [FIRING:1] InstanceDown (critical)',
          '',
          '#### 🔥 FIRING · InstanceDown · critical',
          '- **Instance:** onair-1:3000',
          '- **Summary:** OnAir replica onair-1:3000 is down',
          '- **Description:** Prometheus has not been able to scrape onair-1:3000.',
          '- **Started:** 2025-05-01 12:00:00 UTC',
          '- [Runbook](https://example.com/readme#runbook-instancedown) · [Source](http://prometheus:9090/graph?g0.expr=up)',
          '',
          '[Alertmanager](http://alertmanager:9093/)',
        ].join('\n'),
      },
    });
  });

  it('renders the WeCom and Slack text of one resolved alert exactly', () => {
    const n = notification([alert({ status: 'resolved', endsAt: '2025-05-01T14:05:00Z' })]);
    expect(renderPayload(n, 'wecom')).toEqual({
      msgtype: 'markdown',
      markdown: {
        content: [
          '### [RESOLVED] InstanceDown (critical)',
          '',
          '**<font color="info">RESOLVED</font> InstanceDown** (critical)',
          '> Instance: <font color="comment">onair-1:3000</font>',
          '> Summary: OnAir replica onair-1:3000 is down',
          '> Description: Prometheus has not been able to scrape onair-1:3000.',
          '> Started: 2025-05-01 12:00:00 UTC',
          '> Resolved: 2025-05-01 14:05:00 UTC (after 2h 5m)',
          '> [Runbook](https://example.com/readme#runbook-instancedown) · [Source](http://prometheus:9090/graph?g0.expr=up)',
          '',
          '[Alertmanager](http://alertmanager:9093/)',
        ].join('\n'),
      },
    });
    expect(renderPayload(n, 'slack')).toEqual({
      text: [
        '*[RESOLVED] InstanceDown (critical)*',
        '',
        ':white_check_mark: *RESOLVED* · *InstanceDown* · critical · `onair-1:3000`',
        '*Summary:* OnAir replica onair-1:3000 is down',
        '*Description:* Prometheus has not been able to scrape onair-1:3000.',
        '*Started:* 2025-05-01 12:00:00 UTC',
        '*Resolved:* 2025-05-01 14:05:00 UTC (after 2h 5m)',
        '<https://example.com/readme#runbook-instancedown|Runbook> · <http://prometheus:9090/graph?g0.expr=up|Source>',
        '',
        '<http://alertmanager:9093/|Alertmanager>',
      ].join('\n'),
    });
  });

  it('titles a group by its counts, its alert name and common severity', () => {
    const two = [alert(), alert({ status: 'resolved' })];
    expect(headline(notification(two))).toBe('[FIRING:1, RESOLVED:1] InstanceDown (critical)');
    expect(headline(notification([alert(), alert()], { groupLabels: {}, commonLabels: {} }))).toBe(
      '[FIRING:2] InstanceDown',
    );
    const mixed = [alert(), alert({ labels: { alertname: 'HighLatencyP99' } })];
    expect(headline(notification(mixed, { groupLabels: {}, commonLabels: {} }))).toBe(
      '[FIRING:2] 2 alerts',
    );
    expect(
      headline(notification([alert({ status: 'resolved' }), alert({ status: 'resolved' })])),
    ).toBe('[RESOLVED:2] InstanceDown (critical)');
  });

  it('lists firing alerts before resolved ones', () => {
    const n = notification([
      alert({ status: 'resolved', labels: { alertname: 'A', instance: 'r' } }),
      alert({ labels: { alertname: 'B', instance: 'f' } }),
    ]);
    const text = renderText(n, 'dingtalk');
    expect(text.indexOf('FIRING · B')).toBeGreaterThan(0);
    expect(text.indexOf('FIRING · B')).toBeLessThan(text.indexOf('RESOLVED · A'));
  });

  it('never renders links other than http(s), and escapes Slack control characters', () => {
    const n = notification(
      [
        alert({
          generatorURL: 'javascript:alert(1)',
          annotations: { summary: 'p99 > 1s & <rising>', runbook_url: 'file:///etc/passwd' },
        }),
      ],
      { externalURL: 'ftp://x' },
    );
    for (const channel of ['dingtalk', 'wecom', 'slack'] as const) {
      const text = renderText(n, channel);
      expect(text).not.toMatch(/javascript:|file:|ftp:/);
      expect(text).not.toContain('Runbook');
    }
    expect(renderText(n, 'slack')).toContain('*Summary:* p99 &gt; 1s &amp; &lt;rising&gt;');
  });

  it('strips control characters and keeps single-line fields on one line', () => {
    const n = notification([
      alert({
        labels: { alertname: 'Bad\u0000Name\nX', instance: 'i\u202e1' },
        annotations: { summary: 'line1\r\nline2\u0007' },
      }),
    ]);
    const text = renderText(n, 'dingtalk');
    expect(text).toContain('FIRING · BadName X');
    expect(text).toContain('**Summary:** line1 line2\n');
    expect(text.includes('\u0000') || text.includes('\u0007')).toBe(false);
  });

  it('keeps every channel within its size budget and says how many alerts were left out', () => {
    const many = Array.from({ length: 300 }, (_, i) =>
      alert({
        labels: { alertname: 'InstanceDown', severity: 'critical', instance: `onair-${i}:3000` },
        annotations: { summary: '天'.repeat(300), description: '长'.repeat(2000) },
      }),
    );
    const n = notification(many, { truncatedAlerts: 12 });
    for (const channel of ['dingtalk', 'wecom', 'slack'] as const) {
      const text = renderText(n, channel);
      const { max, unit } = MESSAGE_BUDGET[channel];
      const used = unit === 'bytes' ? Buffer.byteLength(text) : Array.from(text).length;
      expect([channel, used <= max]).toEqual([channel, true]);
      const shown = (text.match(/onair-\d+:3000/g) ?? []).length;
      expect(shown).toBeGreaterThanOrEqual(1);
      expect(text).toContain(`…and ${300 - shown} more alerts not shown.`);
      expect(text).toContain('12 more alerts truncated by Alertmanager');
    }
  });

  it('formats times in UTC and hides Go zero times', () => {
    expect(formatTime('2025-05-01T14:00:00.123456789+02:00')).toBe('2025-05-01 12:00:00 UTC');
    expect(formatTime('0001-01-01T00:00:00Z')).toBeNull();
    expect(formatTime('nope')).toBeNull();
  });

  it('clips at code points, never inside a surrogate pair', () => {
    expect(clip('😀😀😀', 2)).toBe('😀…');
    expect(clip('abc', 3)).toBe('abc');
  });
});
