// Builds ../src/satfeed_frontend/assets/plotly-satfeed.min.js from index.js with plotly.js's
// own esbuild settings (its esbuild-config.js: the same plugins, aliases and target),
// minified, with plotly.js's licence header. Run `make plotly-bundle` (npm ci, then this).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';
import { environmentPlugin } from 'esbuild-plugin-environment';
import { glsl } from 'esbuild-plugin-glsl';
import InlineCSSPlugin from 'esbuild-plugin-inline-css';

const require = createRequire(import.meta.url);
const OUT = new URL('../src/satfeed_frontend/assets/plotly-satfeed.min.js', import.meta.url);
const version = JSON.parse(readFileSync(require.resolve('plotly.js/package.json'))).version;

const result = await esbuild.build({
  entryPoints: ['index.js'],
  format: 'iife',
  globalName: 'Plotly',
  bundle: true,
  minify: true,
  sourcemap: false,
  write: false,
  legalComments: 'eof', // the bundled packages' licence comments, kept at the end
  plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
  alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
  define: { global: 'window', 'define.amd': 'false' },
  target: 'es2016',
  logLevel: 'warning',
});
const header = `/**
* plotly.js (satfeed: scatter, scattergl, scatterpolar - minified) v${version}
* Copyright 2012-2026, Plotly, Inc.
* All rights reserved.
* Licensed under the MIT license
* Built by services/frontend/plotly/build.mjs from the npm package plotly.js@${version}
*/
`;
writeFileSync(OUT, header + result.outputFiles[0].text);
console.log(`${OUT.pathname}: ${(header.length + result.outputFiles[0].contents.length).toLocaleString()} bytes`);
