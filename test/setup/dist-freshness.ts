/**
 * Process-based suites run the built app (dist/src/main.js). A build older than the sources would
 * test yesterday's code and pass, so the run builds first when dist/ is stale (global-setup.ts),
 * and spawning refuses a stale build (test/helpers/process.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
export const BUILT_MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
/** What `npm run build` compiles: a change in any of these makes dist/ stale. */
const BUILD_INPUTS = ['src', 'migrations', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newestMtime(p: string): { file: string; ms: number } | null {
  if (!fs.existsSync(p)) return null;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return { file: p, ms: st.mtimeMs };
  let best: { file: string; ms: number } | null = null;
  for (const e of fs.readdirSync(p)) {
    const r = newestMtime(path.join(p, e));
    if (r && (!best || r.ms > best.ms)) best = r;
  }
  return best;
}

/** Why dist/ cannot be trusted (missing, or older than a named source file), or null when fresh. */
export function distStaleness(main = BUILT_MAIN): string | null {
  if (!fs.existsSync(main)) return `${path.relative(ROOT, main)} is missing`;
  const built = fs.statSync(main).mtimeMs;
  for (const input of BUILD_INPUTS) {
    const newest = newestMtime(path.join(ROOT, input));
    if (newest && newest.ms > built)
      return `${path.relative(ROOT, main)} is older than ${path.relative(ROOT, newest.file)}`;
  }
  return null;
}
