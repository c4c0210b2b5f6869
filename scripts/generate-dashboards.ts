// Writes the Grafana dashboards generated in src/export/grafana-dashboards.ts as committed JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { buildDashboards } from '../src/export/grafana-dashboards.js';

const dir = new URL('../docker/monitoring/grafana/dashboards/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const [name, dashboard] of Object.entries(buildDashboards())) {
  writeFileSync(new URL(name, dir), `${JSON.stringify(dashboard, null, 2)}\n`);
  console.log(`wrote docker/monitoring/grafana/dashboards/${name}`);
}
