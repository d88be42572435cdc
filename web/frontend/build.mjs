// Builds the browser bundle into web/static/dist: `npm run build` (or `make frontend`).
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const outdir = here('../static/dist');

// Start from an empty folder so assets with outdated hashes do not pile up.
await rm(outdir, { recursive: true, force: true });

await esbuild.build({
  entryPoints: {
    app: here('src/app.js'),
    diagram: here('src/diagram.js'),
    // The editors are separate bundles: only the process owners' editor pages load them.
    modeler: here('src/modeler.js'),
    'dmn-editor': here('src/dmn-editor.js'),
    statistics: here('src/statistics.js'),
  },
  outdir,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  sourcemap: false,
  loader: {
    '.woff': 'file',
    '.woff2': 'file',
    '.ttf': 'file',
    '.eot': 'file',
    '.svg': 'file',
    '.png': 'file',
  },
  assetNames: 'assets/[name]-[hash]',
  logLevel: 'info',
});
