// Bundles the pages (web/src) into dist/web: content-hashed assets plus a manifest the server
// reads at start-up to write each page's <script>/<link> tags.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const out = join(root, '..', 'dist', 'web');
const assets = join(out, 'assets');
rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const pages = ['home', 'watch', 'studio', 'embed'];
const result = await build({
  entryPoints: [...pages.map((p) => join(root, 'src', `${p}.ts`)), join(root, 'src', 'styles.css')],
  outdir: assets,
  bundle: true,
  splitting: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  metafile: true,
  logLevel: 'warning',
});

const manifest = { scripts: {}, style: '' };
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (!meta.entryPoint) continue;
  const url = `/assets/${relative(assets, file)}`;
  const name = meta.entryPoint.replace(/^.*\//, '').replace(/\.(ts|css)$/, '');
  if (name === 'styles') manifest.style = url;
  else manifest.scripts[name] = url;
}
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2));
console.log(
  `web: ${Object.keys(result.metafile.outputs).length} assets in ${relative(process.cwd(), out)}`,
);
