/**
 * The live page's script, run in the browser: it listens to the run's event stream and updates
 * the figures in place and the rolling chart (uPlot, loaded before it). Kept as text because kitt
 * compiles without the DOM's types; it reads the run id from its own tag's data-run.
 */
export const LIVE_RUN_SCRIPT = String.raw`(() => {
  'use strict';
  const runId = document.currentScript.dataset.run;
  const byId = (id) => document.getElementById(id);
  const POINTS = 300;
  const CHART_HEIGHT = 220;
  const digits = (v) => (v < 10 ? 2 : v < 100 ? 1 : 0);
  const rate = (v, unit) =>
    v === null || v === undefined || !isFinite(v)
      ? '–'
      : v.toLocaleString('en-US', { minimumFractionDigits: digits(v), maximumFractionDigits: digits(v) }) + ' ' + unit;
  const latency = (ms) =>
    ms === null || ms === undefined || !isFinite(ms)
      ? '–'
      : ms >= 10000
        ? (ms / 1000).toFixed(1) + ' s'
        : (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)) + ' ms';
  const bytes = (b) => {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (b >= 1024 && i < units.length - 1) {
      b /= 1024;
      i++;
    }
    return (i === 0 ? String(b) : b.toFixed(1)) + ' ' + units[i];
  };
  const seconds = (s) => (s < 60 ? s.toFixed(0) + ' s' : Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s');

  const xs = [];
  const tokens = [];
  const p50 = [];
  let chart = null;
  const chartBox = byId('live-chart');
  const makeChart = () =>
    new uPlot(
      {
        width: chartBox.clientWidth,
        height: CHART_HEIGHT,
        scales: { x: { time: false } },
        series: [
          { label: 'elapsed s' },
          { label: 'output tok/s', stroke: '#0b5cad', width: 2, scale: 'tok' },
          { label: 'TTFT p50 ms', stroke: '#c62828', width: 1.5, scale: 'ms' },
        ],
        axes: [
          { label: 'elapsed s', size: 36 },
          { scale: 'tok', label: 'tok/s', size: 56 },
          { scale: 'ms', label: 'TTFT ms', side: 1, size: 56, grid: { show: false } },
        ],
      },
      [xs, tokens, p50],
      chartBox,
    );
  window.addEventListener('resize', () => chart && chart.setSize({ width: chartBox.clientWidth, height: CHART_HEIGHT }));

  const set = (id, text) => {
    const el = byId(id);
    if (el.textContent !== text) el.textContent = text;
  };
  const show = (s) => {
    const root = byId('live');
    root.dataset.seq = String(s.seq);
    set('live-phase', s.stage && s.stage.count > 1 ? s.phase + ' (stage ' + (s.stage.index + 1) + ' of ' + s.stage.count + ')' : s.phase);
    set('live-elapsed', seconds(s.elapsedS) + (s.plannedDurationS ? ' (plan ' + seconds(s.plannedDurationS) + ')' : ''));
    set('live-completed', String(s.completed));
    set('live-failed', String(s.failed));
    set('live-in-flight', s.inFlight === null ? '–' : String(s.inFlight));
    set('live-requests', rate(s.requestsPerS, 'req/s'));
    set('live-tokens', rate(s.outputTokensPerS, 'tok/s'));
    set('live-ttft-p50', latency(s.ttftP50Ms));
    set('live-ttft-p99', latency(s.ttftP99Ms));
    set('live-cpu', s.container ? s.container.cpuPercentOfLimit.toFixed(0) + ' % of its limit' : 'not sampled');
    set('live-memory', s.container ? bytes(s.container.memoryBytes) + ' of ' + bytes(s.container.memoryLimitBytes) : 'not sampled');
    set('live-window', 'the last ' + s.windowS + ' s');
    xs.push(s.elapsedS);
    tokens.push(s.outputTokensPerS);
    p50.push(s.ttftP50Ms);
    if (xs.length > POINTS) [xs, tokens, p50].forEach((column) => column.shift());
    if (!chart) chart = makeChart();
    else chart.setData([xs, tokens, p50]);
    if (s.done) {
      set('live-state', 'finished');
      const done = byId('live-done');
      const status = byId('live-status');
      status.textContent = s.status || 'done';
      status.className = 'status status-' + (s.status || 'done');
      done.hidden = false;
    } else {
      set('live-state', 'running, updated every second');
    }
  };

  const source = new EventSource('/api/v1/runs/' + encodeURIComponent(runId) + '/live');
  source.addEventListener('snapshot', (event) => {
    const snapshot = JSON.parse(event.data);
    show(snapshot);
    if (snapshot.done) source.close();
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself (with Last-Event-ID) unless the server refused the stream
    if (source.readyState === EventSource.CLOSED && byId('live-done').hidden) {
      set('live-state', 'not publishing here now: the run may have ended more than 5 minutes ago');
    } else if (byId('live-done').hidden) {
      set('live-state', 'reconnecting…');
    }
  });
})();
`;
