// Builds the designer studio's browser bundle (run by scripts/build_assets.sh; needs node_modules from `npm ci`):
//   1. bpmnlint's "recommended" rules, pre-compiled for the browser (bpmnlint's own compile-config, what
//      bpmnlint-pack-config and bpmnlint-loader do): a module that imports each rule, so no resolver runs in the page;
//   2. esbuild: studio.js -> webui/static/webui/vendor/studio.bundle.js (one IIFE, no CDN, works offline) and
//      studio.css -> studio.bundle.css (bpmn-js, its properties panel, form-js's editor, bpmn-js-bpmnlint; fonts inline).
// The output is deterministic: the same locked packages give the same bytes (tests/webui/test_assets.py checks it).
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const OUT = process.argv[2] ? resolve(process.argv[2]) : join(REPO, 'webui/static/webui/vendor');
const GENERATED = join(REPO, 'node_modules/.motcua-studio');

const esbuild = require('esbuild');
const compileConfig = require('bpmnlint/lib/support/compile-config');

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
const BUNDLED = ['bpmn-js', 'bpmn-js-properties-panel', '@bpmn-io/properties-panel', 'bpmnlint', 'bpmn-js-bpmnlint',
  '@bpmn-io/form-js', 'bpmn-auto-layout'];
const versions = BUNDLED.map((name) => `${name}@${pkg.dependencies[name]}`).join(' ');
const banner = `/*! MotCua designer studio bundle: ${versions}; built by esbuild@${pkg.devDependencies.esbuild} ` +
  `from webui/static_src (scripts/build_assets.sh). Licenses: studio.bundle.LICENSES.txt */`;

mkdirSync(GENERATED, { recursive: true });
const packed = await compileConfig({ extends: 'bpmnlint:recommended' });
writeFileSync(join(GENERATED, 'bpmnlint-config.js'), packed);

// The licenses of the packages inside the bundle (bpmn-js's watermark licence included), next to it.
const LICENSED = [...BUNDLED.filter((n) => n !== '@bpmn-io/form-js'), '@bpmn-io/form-js-editor', 'diagram-js',
  'preact', 'min-dash', 'min-dom', 'tiny-svg', 'moddle', 'bpmn-moddle'];
const licenses = LICENSED.map((name) => {
  // node_modules/<name> itself: some packages (bpmn-auto-layout) do not export their package.json
  const dir = join(REPO, 'node_modules', name);
  const version = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  const file = ['LICENSE', 'LICENSE.md', 'LICENSE.txt'].map((f) => join(dir, f)).find((f) => existsSync(f));
  return `==== ${name}@${version} ====\n\n${file ? readFileSync(file, 'utf8').trim() : '(see its package.json)'}\n`;
}).join('\n');
writeFileSync(join(OUT, 'studio.bundle.LICENSES.txt'), licenses);

const common = { bundle: true, minify: true, legalComments: 'none', logLevel: 'warning', banner: { js: banner, css: banner } };
await esbuild.build({
  ...common,
  entryPoints: [join(HERE, 'studio.js')],
  outfile: join(OUT, 'studio.bundle.js'),
  format: 'iife',
  target: ['es2020'],
  alias: { 'motcua-bpmnlint-config': join(GENERATED, 'bpmnlint-config.js') },
  define: { 'process.env.NODE_ENV': '"production"' },
});
await esbuild.build({
  ...common,
  entryPoints: [join(HERE, 'studio.css')],
  outfile: join(OUT, 'studio.bundle.css'),
  loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.eot': 'dataurl', '.svg': 'dataurl' },
});
