/**
 * Assembles the dashboard in dist/web (run by `npm run build` and `npm install`'s prepare, after `tsc -p
 * web/tsconfig.json` compiled web/src to dist/web/app): the page and its stylesheet from web/, and the two
 * libraries it loads from node_modules into dist/web/vendor with their licence texts. Nothing is fetched at run
 * time: the Pi may be offline, so there is no CDN.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();
const out = join(root, 'dist', 'web');
const vendor = join(out, 'vendor');

/** [source under node_modules, name in dist/web/vendor]. */
const VENDOR_FILES: Array<[string, string]> = [
  ['preact/dist/preact.mjs', 'preact.mjs'],
  ['preact/hooks/dist/hooks.mjs', 'hooks.mjs'],
  ['preact/jsx-runtime/dist/jsxRuntime.mjs', 'jsxRuntime.mjs'],
  ['preact/LICENSE', 'LICENSE.preact.txt'],
  ['uplot/dist/uPlot.iife.min.js', 'uPlot.iife.min.js'],
  ['uplot/dist/uPlot.min.css', 'uPlot.min.css'],
  ['uplot/LICENSE', 'LICENSE.uplot.txt'],
];

function fail(message: string): never {
  process.stderr.write(`build-web: ${message}\n`);
  process.exit(1);
}

if (!existsSync(join(out, 'app', 'main.js')))
  fail('dist/web/app/main.js is missing: run tsc -p web/tsconfig.json first');
mkdirSync(vendor, { recursive: true });
for (const [from, to] of VENDOR_FILES) {
  const src = join(root, 'node_modules', from);
  if (!existsSync(src)) fail(`${from} not found: run npm install (preact and uplot are build dependencies)`);
  copyFileSync(src, join(vendor, to));
}
copyFileSync(join(root, 'web', 'index.html'), join(out, 'index.html'));
copyFileSync(join(root, 'web', 'style.css'), join(out, 'style.css'));
const versions = Object.fromEntries(
  ['preact', 'uplot'].map((p) => [
    p,
    JSON.parse(readFileSync(join(root, 'node_modules', p, 'package.json'), 'utf8')).version,
  ]),
);
writeFileSync(join(vendor, 'VERSIONS.json'), `${JSON.stringify(versions)}\n`);
let bytes = 0;
for (const f of ['index.html', 'style.css', ...VENDOR_FILES.map(([, to]) => `vendor/${to}`)])
  bytes += statSync(join(out, f)).size;
process.stdout.write(`build-web: dist/web assembled (${Math.round(bytes / 1024)} kB besides the app)\n`);
