import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { reportSkip } from '../helpers/services';
import { ROOT } from '../helpers/process';

type AuditReport = {
  vulnerabilities?: Record<string, { severity: string }>;
  metadata?: { vulnerabilities?: Record<string, number> };
  error?: unknown;
  message?: string;
};

/**
 * Runs once while the suite is collected, so that an unreachable advisory database shows up
 * as a SKIPPED test (loudly), not as a pass.
 */
function audit(): { report?: AuditReport; unreachable?: string } {
  const r = spawnSync('npm', ['audit', '--omit=dev', '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
  let report: AuditReport;
  try {
    report = JSON.parse(r.stdout) as AuditReport;
  } catch {
    return { unreachable: (r.stdout || r.stderr || String(r.error)).slice(0, 200) };
  }
  if (!report.metadata?.vulnerabilities)
    return { unreachable: report.message ?? JSON.stringify(report.error ?? report).slice(0, 200) };
  return { report };
}

/** Every installed copy of a package under node_modules (nested ones included). */
function installedVersions(name: string): { where: string; version: string }[] {
  const out: { where: string; version: string }[] = [];
  const walk = (dir: string, depth: number) => {
    const pkg = path.join(dir, name, 'package.json');
    if (fs.existsSync(pkg))
      out.push({
        where: path.relative(ROOT, path.dirname(pkg)),
        version: (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version,
      });
    if (depth > 6) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const sub = entry.name.startsWith('@')
        ? fs.readdirSync(path.join(dir, entry.name)).map((n) => path.join(entry.name, n))
        : [entry.name];
      for (const s of sub) {
        const nested = path.join(dir, s, 'node_modules');
        if (fs.existsSync(nested)) walk(nested, depth + 1);
      }
    }
  };
  walk(path.join(ROOT, 'node_modules'), 0);
  return out;
}

const major = (v: string) => Number(v.split('.')[0]);

/** OWASP API10 / A06: no known high or critical vulnerability ships in production dependencies. */
describe('dependency audit', () => {
  it('every installed jsonwebtoken is ≥ 9 (the algorithm-confusion and weak-key fixes)', () => {
    const copies = installedVersions('jsonwebtoken');
    expect(copies.length).toBeGreaterThan(0);
    expect(copies.filter((c) => major(c.version) < 9)).toEqual([]);
    const declared = (
      JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
        devDependencies: Record<string, string>;
      }
    ).devDependencies.jsonwebtoken;
    expect(major(declared.replace(/^[^\d]*/, ''))).toBeGreaterThanOrEqual(9);
  });

  const result = audit();
  if (result.report) {
    const report = result.report;
    it('npm audit --omit=dev reports no high or critical advisory', () => {
      const serious = Object.entries(report.vulnerabilities ?? {})
        .filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
        .map(([name, v]) => `${name} (${v.severity})`);
      expect(serious).toEqual([]);
      expect(
        (report.metadata!.vulnerabilities!.high ?? 0) +
          (report.metadata!.vulnerabilities!.critical ?? 0),
      ).toBe(0);
    });
  } else {
    const why = `npm audit could not get an answer from the registry: ${result.unreachable}`;
    if (process.env.REQUIRE_AUDIT === '1') throw new Error(why);
    // Loud in every environment (CI included) and counted in the run's summary.
    reportSkip('npm audit --omit=dev', `${why}. Set REQUIRE_AUDIT=1 to make this a failure`);
  }
});
