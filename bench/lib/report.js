'use strict';
// Rows, verdicts, the console table and the markdown report.
//
// Every row has a ratio:
//   ratio≥  OnAir ÷ peer (medians of the same run); passes when ≥ the target.
//   ≤       measured ÷ limit (so ≤ 1.00 passes); the peer column, when filled, is context only.
//   ≤peer+  measured ÷ (peer + allowance) (so ≤ 1.00 passes): "at most X above the peer".
//   band    the measured value is itself a ratio (after ÷ baseline); passes inside [lo, hi].
//   =       a count that must equal an expected value (shown as "got / expected").
//   info    reported, not judged.

const { summarize, fmtNum } = require('./util');

function describeTarget(t) {
  switch (t.type) {
    case 'ratio≥':
      return `≥ ${t.value} × ${t.peerShort || 'peer'}`;
    case '≤':
      return `≤ ${fmtNum(t.value, t.digits ?? 0)} ${t.unit}`;
    case '≤peer+':
      return `≤ ${t.peerShort || 'peer'} + ${fmtNum(t.value)} ${t.unit}`;
    case 'band':
      return `${t.lo}–${t.hi} × baseline`;
    case '=':
      return `= ${t.label || t.value}`;
    default:
      return 'info';
  }
}

/** Fills ratio and verdict of a row from its subject/peer samples. */
function judge(row) {
  const t = row.target;
  const s = row.subject ? summarize(row.subject.runs) : null;
  const p = row.peer ? summarize(row.peer.runs) : null;
  row.subjectStats = s;
  row.peerStats = p;
  if (row.error) {
    row.verdict = 'ERROR';
    return row;
  }
  if (!s) {
    row.verdict = row.skipped ? 'SKIP' : 'ERROR';
    if (!row.skipped && !row.error) row.error = 'no measurement';
    return row;
  }
  switch (t.type) {
    case 'ratio≥': {
      if (!p) {
        if (row.peerOptional) {
          row.verdict = 'NO PEER';
          return row;
        }
        row.verdict = row.skipped ? 'SKIP' : 'ERROR';
        row.error = row.error || 'no peer measurement';
        return row;
      }
      const pairs = row.subject.runs
        .map((v, i) => (row.peer.runs[i] ? v / row.peer.runs[i] : null))
        .filter((x) => x !== null && Number.isFinite(x));
      row.ratio = {
        value: s.median / p.median,
        min: pairs.length ? Math.min(...pairs) : null,
        max: pairs.length ? Math.max(...pairs) : null,
        basis: `÷ ${t.peerShort || 'peer'}`,
      };
      row.verdict = row.ratio.value >= t.value ? 'PASS' : 'FAIL';
      break;
    }
    case '≤':
      row.ratio = {
        value: s.median / t.value,
        min: s.min / t.value,
        max: s.max / t.value,
        basis: '÷ limit',
      };
      row.verdict = s.median <= t.value ? 'PASS' : 'FAIL';
      break;
    case '≤peer+': {
      if (!p) {
        row.verdict = row.skipped ? 'SKIP' : 'ERROR';
        row.error = row.error || 'no peer measurement';
        return row;
      }
      const limit = p.median + t.value;
      row.ratio = {
        value: s.median / limit,
        min: s.min / limit,
        max: s.max / limit,
        basis: `÷ (${t.peerShort || 'peer'} + ${fmtNum(t.value)} ${t.unit})`,
      };
      row.verdict = s.median <= limit ? 'PASS' : 'FAIL';
      break;
    }
    case 'band':
      row.ratio = { value: s.median, min: s.min, max: s.max, basis: '÷ baseline' };
      row.verdict = s.median >= t.lo && s.median <= t.hi ? 'PASS' : 'FAIL';
      break;
    case '=': {
      const all = row.subject.runs.every((v) => v === t.value);
      row.ratio = row.ratioText
        ? { text: row.ratioText, basis: t.ratioBasis || 'got / expected' }
        : {
            text: `${fmtNum(s.median)} / ${fmtNum(t.value)}`,
            basis: t.ratioBasis || 'got / expected',
          };
      row.verdict = all ? 'PASS' : 'FAIL';
      break;
    }
    default:
      if (p)
        row.ratio = {
          value: s.median / p.median,
          min: null,
          max: null,
          basis: `÷ ${t.peerShort || 'peer'}`,
        };
      row.verdict = 'INFO';
  }
  return row;
}

function fmtStat(st, digits) {
  if (!st) return '—';
  if (st.runs.length === 1) return fmtNum(st.median, digits);
  return `${fmtNum(st.median, digits)} [${fmtNum(st.min, digits)}–${fmtNum(st.max, digits)}]`;
}

function fmtRatio(r) {
  if (!r) return '—';
  if (r.text) return `${r.text} (${r.basis})`;
  const range =
    r.min !== null && r.max !== null && r.min !== r.max
      ? ` [${r.min.toFixed(2)}–${r.max.toFixed(2)}]`
      : '';
  return `${r.value.toFixed(2)}${range} ${r.basis}`;
}

function cells(row, informational) {
  const d = row.digits ?? 0;
  let verdict = row.verdict;
  if (informational && (verdict === 'PASS' || verdict === 'FAIL')) verdict += ' (info)';
  return [
    row.id,
    row.title,
    `${fmtStat(row.subjectStats, d)} ${row.unit}`,
    row.peerStats
      ? `${fmtStat(row.peerStats, d)} ${row.unit} (${row.peerName})`
      : row.peerName
        ? `— (${row.peerName})`
        : '—',
    fmtRatio(row.ratio),
    describeTarget(row.target),
    verdict,
  ];
}

const HEAD = [
  'ID',
  'Scenario',
  'OnAir median [min–max]',
  'Peer median [min–max]',
  'Ratio',
  'Target',
  'Result',
];

function consoleTable(rows, informational) {
  const data = [HEAD, ...rows.map((r) => cells(r, informational))];
  const widths = HEAD.map((_, c) => Math.max(...data.map((r) => String(r[c]).length)));
  const line = (r) => r.map((v, c) => String(v).padEnd(widths[c])).join(' │ ');
  const sep = widths.map((w) => '─'.repeat(w)).join('─┼─');
  const out = [line(data[0]), sep, ...data.slice(1).map(line)];
  const notes = rows.filter((r) => r.error || (r.notes && r.notes.length));
  if (notes.length) {
    out.push('');
    for (const r of notes) {
      if (r.error) out.push(`${r.id}: ERROR ${r.error}`);
      for (const n of r.notes || []) out.push(`${r.id}: ${n}`);
    }
  }
  return out.join('\n');
}

function mdEscape(s) {
  return String(s).replace(/\|/g, '\\|');
}

function markdown({ rows, meta, informational }) {
  const L = [];
  L.push(`# OnAir benchmark — ${meta.mode} run`);
  L.push('');
  L.push(
    `${meta.startedAt} → ${meta.finishedAt} (${Math.round(meta.elapsedSec)} s).${informational ? ' **Smoke run: tiny sizes, one run each; the verdicts are informational only.**' : ''}`,
  );
  L.push('');
  L.push('## Machine');
  L.push('');
  for (const [k, v] of Object.entries(meta.machine)) L.push(`- **${k}**: ${mdEscape(v)}`);
  L.push('');
  L.push('## Settings');
  L.push('');
  for (const [k, v] of Object.entries(meta.settings))
    L.push(`- **${k}**: ${mdEscape(typeof v === 'object' ? JSON.stringify(v) : v)}`);
  L.push('');
  L.push('## Results');
  L.push('');
  L.push(
    `Medians of ${meta.settings.runs} run(s), [min–max] across runs. Ratios are OnAir ÷ peer from the same run on the same machine, or measured ÷ limit for absolute targets.`,
  );
  L.push('');
  L.push(`| ${HEAD.join(' | ')} |`);
  L.push(`|${HEAD.map(() => '---').join('|')}|`);
  for (const r of rows) L.push(`| ${cells(r, informational).map(mdEscape).join(' | ')} |`);
  L.push('');
  const withNotes = rows.filter((r) => r.error || (r.notes && r.notes.length));
  if (withNotes.length) {
    L.push('## Notes per row');
    L.push('');
    for (const r of withNotes) {
      if (r.error) L.push(`- **${r.id}** ERROR: ${mdEscape(r.error)}`);
      for (const n of r.notes || []) L.push(`- **${r.id}**: ${mdEscape(n)}`);
    }
    L.push('');
  }
  if (meta.details && meta.details.length) {
    L.push('## Run details');
    L.push('');
    L.push(
      'Per run: achieved rate, latency, CPU of the load generator (share of one core) and of the server process. A generator near 100 % means the load generator, not the server, was the limit.',
    );
    L.push('');
    L.push(
      '| Scenario | Target | Run | req/s | p50 ms | p99 ms | errors/non-2xx | generator CPU | server CPU | pacing |',
    );
    L.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const d of meta.details) {
      L.push(
        `| ${d.scenario} | ${mdEscape(d.target)} | ${d.run} | ${fmtNum(d.rps)} | ${fmtNum(d.p50, 2)} | ${fmtNum(d.p99, 2)} | ${d.errors ?? 0}/${d.non2xx ?? 0} | ${d.generatorCpu === null || d.generatorCpu === undefined ? '—' : Math.round(d.generatorCpu * 100) + ' %'} | ${d.serverCpu === null || d.serverCpu === undefined ? '—' : Math.round(d.serverCpu * 100) + ' %'} | ${mdEscape(d.pacing || '')} |`,
      );
    }
    L.push('');
  }
  if (meta.profiles && meta.profiles.length) {
    L.push('## CPU profiles');
    L.push('');
    for (const p of meta.profiles) L.push(`- ${p}`);
    L.push('');
  }
  return L.join('\n');
}

module.exports = { judge, consoleTable, markdown, describeTarget };
