/**
 * Every relative link in README.md and docs/*.md points to a file that exists, and an anchor
 * (`#heading`) to a heading of that file, the way GitHub renders it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const DOCS = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Inline links and images outside code, as [text](target "title"). */
function linksOf(file: string): string[] {
  const text = fs
    .readFileSync(file, 'utf8')
    .replace(/^```[\s\S]*?^```/gm, '')
    .replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(
    (m) => m[1],
  );
}

describe('documentation links', () => {
  it.each(DOCS)('every relative link in %s points to an existing file and heading', (doc) => {
    const from = path.join(ROOT, doc);
    const broken: string[] = [];
    for (const link of linksOf(from)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // http(s), mailto: not checked here
      const [target, anchor] = link.split('#');
      const file = target ? path.resolve(path.dirname(from), decodeURIComponent(target)) : from;
      if (!fs.existsSync(file)) broken.push(`${link}: no such file`);
      else if (anchor && file.endsWith('.md') && !anchorsOf(file).has(anchor))
        broken.push(`${link}: no heading #${anchor} in ${path.relative(ROOT, file)}`);
    }
    expect(broken).toEqual([]);
  });

  it('finds the links it checks (README.md links to the topic docs)', () => {
    expect(linksOf(path.join(ROOT, 'README.md')).filter((l) => l.startsWith('docs/'))).not.toEqual(
      [],
    );
  });
});
