import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * The one stylesheet, served as /assets/dashboard.css: the dashboard loads nothing from elsewhere
 * (no CDN, no font). Tables and charts scroll sideways inside their box on a narrow window, and
 * the forms wrap.
 */
export const DASHBOARD_CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#5c6670;--line:#d5dae0;--bg:#fff;--head:#f3f5f7;--ok:#1a7f37;--bad:#c62828;--warn:#9a6700;--link:#0b5cad}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--muted:#9aa4ae;--line:#39414a;--bg:#14181c;--head:#1d2329;--ok:#4ac26b;--bad:#ff7b72;--warn:#d4a72c;--link:#6cb6ff}}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:baseline;padding:.8rem 1rem;border-bottom:1px solid var(--line)}
header h1{font-size:1.1rem;margin:0}header nav{display:flex;gap:1rem;flex-wrap:wrap}header form{margin-left:auto}
main{padding:1rem;max-width:90rem}a{color:var(--link)}h2{font-size:1.05rem;margin:1.5rem 0 .5rem}
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:4px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{padding:.35rem .6rem;text-align:left;border-bottom:1px solid var(--line);white-space:nowrap}
th{background:var(--head);font-weight:600}td.num,th.num{text-align:right}td.reason{white-space:normal;min-width:14rem;color:var(--muted)}
.status{font-weight:600}.status-succeeded{color:var(--ok)}.status-failed,.status-engine-failed,.status-abandoned{color:var(--bad)}.status-interrupted,.status-running{color:var(--warn)}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:1rem}form.filters label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted)}
input,select,button{font:inherit;padding:.25rem .4rem;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}button{cursor:pointer}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}
.muted{color:var(--muted)}.error{color:var(--bad)}.pager{margin-top:.8rem}footer{padding:1rem}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,36rem),1fr));gap:1rem}
figure{margin:0;min-width:0}figure h3{font-size:.95rem;margin:0 0 .1rem}figcaption{color:var(--muted);font-size:.8rem;margin-bottom:.3rem}
.chart{overflow-x:auto;max-width:100%;background:#fff;color:#1b1f24;border-radius:4px}
.verdict{font-weight:600}.verdict-better{color:var(--ok)}.verdict-worse{color:var(--bad)}.verdict-same{color:var(--muted)}
td.select{width:1%}
@media (max-width:40rem){main{padding:.6rem}th,td{padding:.3rem .4rem}dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.4rem}}
`;

/**
 * What a dashboard page may load: scripts, styles, images and requests from this server only, no
 * inline script or style (chart specs ride in JSON data blocks, which are not run), no frames.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** A dashboard page: the header with its links (and sign-out when signed in) around the body. */
export function renderPage(options: { title: string; body: Html; signedIn: boolean; version: string }): Html {
  const signOut = options.signedIn
    ? html`<form method="post" action="/sign-out"><button type="submit">Sign out</button></form>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · kitt</title><link rel="stylesheet" href="/assets/dashboard.css"><link rel="stylesheet" href="/assets/uplot.css"></head>
<body>
<header><h1><a href="/runs">kitt</a></h1><nav><a href="/runs">Runs</a><a href="/live">Live</a><a href="/compare">Compare</a><a href="/calibrations">Calibrations</a><a href="/hosts">Hosts</a><a href="/api/v1/openapi.json">API</a></nav>${signOut}</header>
<main>
${options.body}
</main>
<footer class="muted">kitt ${options.version}</footer>
</body>
</html>`;
}
