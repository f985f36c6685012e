'use strict';
// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per package, so a
// profile can be read in a terminal or pasted into a note.
// CLI: node bench/lib/profile-summary.js <file.cpuprofile> [top=25] [skipMs=0]

const fs = require('node:fs');
const path = require('node:path');

function packageOf(url) {
  if (!url) return '(native/V8)';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (u.startsWith('node:') || !u.startsWith('/')) return '(node core)';
  const m = /\/dist\/src\/([^/]+)\//.exec(u) || /\/src\/([^/]+)\//.exec(u);
  if (m) return `onair:${m[1]}`;
  return path.basename(u);
}

/** skipMs: ignore the first milliseconds of the profile (start-up: module loading, migrations). */
function summarize(profile, top = 25, skipMs = 0) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = profile.timeDeltas || [];
  let total = 0;
  let elapsed = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = deltas[i] || 0;
    elapsed += dt;
    if (elapsed < skipMs * 1000) continue;
    total += dt;
    self.set(profile.samples[i], (self.get(profile.samples[i]) || 0) + dt);
  }
  const fns = new Map();
  const pkgs = new Map();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    const where = cf.url
      ? `${cf.url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules|dist|src)\//, '$1/')}:${cf.lineNumber + 1}`
      : '';
    const key = `${name} ${where}`;
    fns.set(key, (fns.get(key) || 0) + us);
    const pkg = ['(idle)', '(program)', '(garbage collector)'].includes(name)
      ? name
      : packageOf(cf.url);
    pkgs.set(pkg, (pkgs.get(pkg) || 0) + us);
  }
  // Inclusive time: every distinct function on the sampled stack gets the sample's time.
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const keyOf = (n) => {
    const cf = n.callFrame;
    const where = cf.url
      ? `${cf.url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules|dist|src)\//, '$1/')}:${cf.lineNumber + 1}`
      : '';
    return `${cf.functionName || '(anonymous)'} ${where}`;
  };
  const incl = new Map();
  for (const [id, us] of self) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf(byId.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) || 0) + us);
    }
  }
  const idle = fns.get('(idle) ') || 0;
  const busy = total - idle;
  const rank = (m) =>
    [...m.entries()]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ name: k.trim(), ms: us / 1000, pctBusy: busy ? (100 * us) / busy : 0 }));
  const inclusive = rank(
    new Map(
      [...incl].filter(
        ([k]) =>
          !/^\((root|program|idle|garbage collector)\)/.test(k) &&
          !/^(processTicksAndRejections|listOnTimeout|processTimers|runMicrotasks) /.test(k),
      ),
    ),
  );
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    functions: rank(fns),
    packages: rank(pkgs),
    inclusive,
  };
}

function toMarkdown(title, s) {
  const L = [
    `### ${title}`,
    '',
    `Sampled ${s.totalMs.toFixed(0)} ms, busy (not idle) ${s.busyMs.toFixed(0)} ms. Shares are of busy time.`,
    '',
    '| self ms | % busy | package |',
    '|---|---|---|',
  ];
  for (const p of s.packages)
    L.push(`| ${p.ms.toFixed(0)} | ${p.pctBusy.toFixed(1)} | ${p.name} |`);
  L.push('', '| self ms | % busy | function |', '|---|---|---|');
  for (const f of s.functions)
    L.push(
      `| ${f.ms.toFixed(0)} | ${f.pctBusy.toFixed(1)} | \`${f.name.replace(/\|/g, '\\|')}\` |`,
    );
  if (s.inclusive) {
    L.push('', '| total ms (self + callees) | % busy | function |', '|---|---|---|');
    for (const f of s.inclusive)
      L.push(
        `| ${f.ms.toFixed(0)} | ${f.pctBusy.toFixed(1)} | \`${f.name.replace(/\|/g, '\\|')}\` |`,
      );
  }
  L.push('');
  return L.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write(
      'usage: node bench/lib/profile-summary.js <file.cpuprofile> [top] [skipMs]\n',
    );
    process.exit(2);
  }
  const s = summarize(
    JSON.parse(fs.readFileSync(file, 'utf8')),
    Number(process.argv[3] || 25),
    Number(process.argv[4] || 0),
  );
  process.stdout.write(toMarkdown(path.basename(file), s) + '\n');
}

module.exports = { summarize, toMarkdown };
