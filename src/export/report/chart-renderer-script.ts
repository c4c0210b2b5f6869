/**
 * The browser side of a report: reads the ChartSpecs embedded in the page and draws each with uPlot.
 * Plain ES2017 in a string, so it runs as it is in any page that has loaded uPlot (the report, the
 * web dashboard) with no build step. `kittRenderCharts(specs)` draws into elements whose id is the
 * spec's id and records each drawn chart in `window.kittCharts` ({ id, points, series }) so a test or
 * the dashboard can see what was drawn.
 */
export const CHART_RENDERER_JS = `
(function () {
  var palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];
  var thresholdColor = '#d62728';

  function extend(range, values) {
    var lo = range[0], hi = range[1];
    values.forEach(function (v) { lo = lo === null ? v : Math.min(lo, v); hi = hi === null ? v : Math.max(hi, v); });
    if (lo === null) return [0, 1];
    if (lo === hi) { hi = lo + 1; }
    var pad = (hi - lo) * 0.05;
    return [lo - pad, hi + pad];
  }

  function scaleRange(thresholds, axis, fromZero, extra) {
    var own = thresholds.filter(function (t) { return t.axis === axis; }).map(function (t) { return t.value; }).concat(extra || []);
    return function (u, min, max) {
      var r = extend([min, max], own);
      if (fromZero && min !== null && min >= 0) r[0] = Math.min(0, r[0]);
      return r;
    };
  }

  function thresholdPlugin(thresholds) {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx, dpr = window.devicePixelRatio || 1;
          ctx.save();
          ctx.strokeStyle = thresholdColor;
          ctx.fillStyle = thresholdColor;
          ctx.lineWidth = 1.5 * dpr;
          ctx.setLineDash([6 * dpr, 4 * dpr]);
          ctx.font = (11 * dpr) + 'px sans-serif';
          // uPlot leaves the alignment of its last axis label set; labels here start at their point
          ctx.textAlign = 'left';
          ctx.textBaseline = 'alphabetic';
          thresholds.forEach(function (t) {
            ctx.beginPath();
            if (t.axis === 'x') {
              var x = u.valToPos(t.value, 'x', true);
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.fillText(t.label, x + 4 * dpr, u.bbox.top + 12 * dpr);
            } else {
              var y = u.valToPos(t.value, t.axis, true);
              ctx.moveTo(u.bbox.left, y);
              ctx.lineTo(u.bbox.left + u.bbox.width, y);
              ctx.stroke();
              ctx.fillText(t.label, u.bbox.left + 4 * dpr, y - 4 * dpr);
            }
          });
          ctx.restore();
        }]
      }
    };
  }

  function seriesOptions(s, i) {
    var color = palette[i % palette.length];
    var base = { label: s.label, stroke: color, scale: s.axis === 'y2' ? 'y2' : 'y', spanGaps: true };
    if (s.style === 'points') {
      base.width = 0;
      base.paths = function () { return null; };
      base.points = { show: true, size: 6, stroke: color, fill: color };
    } else if (s.style === 'bars') {
      base.fill = color + '99';
      base.width = 1;
      base.paths = uPlot.paths.bars({ size: [0.9, 80], align: 1 });
      base.points = { show: false };
    } else if (s.style === 'step') {
      base.width = 2;
      base.paths = uPlot.paths.stepped({ align: 1 });
      base.points = { show: false };
    } else {
      base.width = 2;
      base.points = { show: true, size: 4 };
    }
    return base;
  }

  // a bar starts at its x (a bin's lower edge): the axis must reach the last bar's far edge
  function barsEnd(spec) {
    var xs = spec.data[0];
    if (!spec.series.some(function (s) { return s.style === 'bars'; }) || xs.length === 0) return [];
    var width = xs.length > 1 ? xs[xs.length - 1] - xs[xs.length - 2] : 1;
    return [xs[xs.length - 1] + width];
  }

  function draw(spec) {
    var el = document.getElementById(spec.id);
    var width = Math.max(320, (el.clientWidth || 640) - 8);
    var hasY2 = spec.series.some(function (s) { return s.axis === 'y2'; });
    var axes = [{ label: spec.x.label }, { label: spec.y.label, scale: 'y' }];
    if (hasY2) axes.push({ label: spec.y2 ? spec.y2.label : '', scale: 'y2', side: 1, grid: { show: false } });
    var options = {
      width: width,
      height: 300,
      scales: {
        x: { time: spec.x.time === true, range: scaleRange(spec.thresholds, 'x', false, barsEnd(spec)) },
        y: { range: scaleRange(spec.thresholds, 'y', true) },
        y2: { range: scaleRange(spec.thresholds, 'y2', true) }
      },
      axes: axes,
      series: [{ label: spec.x.label }].concat(spec.series.map(seriesOptions)),
      plugins: [thresholdPlugin(spec.thresholds)],
      legend: { live: true }
    };
    var chart = new uPlot(options, spec.data, el);
    window.kittCharts.push({
      id: spec.id,
      points: spec.data[0].length,
      drawn: chart.data[0].length,
      series: spec.series.map(function (s, i) {
        return { label: s.label, points: spec.data[i + 1].filter(function (v) { return v !== null; }).length };
      })
    });
    return chart;
  }

  window.kittCharts = window.kittCharts || [];
  window.kittRenderCharts = function (specs) {
    specs.forEach(function (spec) {
      try { draw(spec); } catch (error) { console.error('chart ' + spec.id + ' failed: ' + error); }
    });
  };
})();
`;
