import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { KittError } from '../../core/errors.js';

/** uPlot's minified browser build and stylesheet, read from the installed package to inline into a page. */
export interface ChartLibrary {
  readonly name: string;
  readonly version: string;
  readonly js: string;
  readonly css: string;
}

let cached: ChartLibrary | undefined;

/**
 * Reads uPlot from node_modules (resolved like any dependency, so it is the version package.json
 * pins). The IIFE build defines the global `uPlot` the renderer script draws with.
 */
export function loadChartLibrary(): ChartLibrary {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  let dist: string;
  try {
    dist = dirname(require.resolve('uplot'));
  } catch (error) {
    throw new KittError('EXPORT_FAILED', 'the chart library uplot is not installed, so report.html cannot be written', {
      hint: 'run npm install in kitt’s folder (uplot is a dependency in package.json)',
      cause: error,
    });
  }
  const pkg = JSON.parse(readFileSync(join(dist, '..', 'package.json'), 'utf8')) as { version: string };
  cached = {
    name: 'uPlot',
    version: pkg.version,
    js: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(join(dist, 'uPlot.min.css'), 'utf8'),
  };
  return cached;
}
