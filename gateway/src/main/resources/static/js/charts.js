/*
 * CrossTrain's own small SVG charts: a line chart (one vertex per data point) and a horizontal bar chart.
 * No library: every mark is an SVG element drawn from the data, so a test can count what was drawn.
 */
'use strict';

const CtCharts = (() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';

  function svgEl(tag, attrs, text) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) {
        el.setAttribute(k, String(v));
      }
    }
    if (text !== undefined) {
      el.textContent = text;
    }
    return el;
  }

  /** About `count` round tick values covering [lo, hi]. */
  function ticks(lo, hi, count) {
    if (!(hi > lo)) {
      return [lo];
    }
    const rough = (hi - lo) / Math.max(1, count);
    const magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
    const steps = [1, 2, 2.5, 5, 10];
    let step = magnitude;
    for (const s of steps) {
      if (s * magnitude >= rough) {
        step = s * magnitude;
        break;
      }
    }
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    }
    return out;
  }

  function label(v) {
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) {
      return v.toExponential(1);
    }
    return String(Number(v.toPrecision(4)));
  }

  function clear(svg) {
    while (svg.firstChild) {
      svg.removeChild(svg.firstChild);
    }
  }

  /**
   * Draws points [{x, y}] as one polyline path into `svg`, with axes and grid.
   * Sets data-points on the svg and the path to the number of vertices drawn.
   */
  function line(svg, points, options) {
    const o = Object.assign({ width: 640, height: 260, xLabel: '', yLabel: '', empty: 'no data yet',
      pathId: null, pathTestId: null }, options || {});
    clear(svg);
    svg.setAttribute('viewBox', `0 0 ${o.width} ${o.height}`);
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    const m = { left: 58, right: 16, top: 14, bottom: 40 };
    const w = o.width - m.left - m.right;
    const hgt = o.height - m.top - m.bottom;
    const data = points.filter(p => Number.isFinite(p.x) && Number.isFinite(p.y));
    svg.dataset.points = String(data.length);

    svg.append(svgEl('rect', { x: m.left, y: m.top, width: w, height: hgt, class: 'chart-frame' }));
    if (data.length === 0) {
      svg.append(svgEl('text', { x: m.left + w / 2, y: m.top + hgt / 2, 'text-anchor': 'middle',
        class: 'chart-empty' }, o.empty));
      return;
    }
    let xMin = Math.min(...data.map(p => p.x));
    let xMax = Math.max(...data.map(p => p.x));
    let yMin = Math.min(...data.map(p => p.y));
    let yMax = Math.max(...data.map(p => p.y));
    if (xMax === xMin) {
      xMin -= 1;
      xMax += 1;
    }
    const pad = (yMax - yMin) * 0.08 || Math.abs(yMax) * 0.1 || 1;
    yMin -= pad;
    yMax += pad;
    const sx = x => m.left + (x - xMin) / (xMax - xMin) * w;
    const sy = y => m.top + hgt - (y - yMin) / (yMax - yMin) * hgt;

    const grid = svgEl('g', { class: 'chart-grid' });
    for (const t of ticks(yMin, yMax, 5)) {
      grid.append(svgEl('line', { x1: m.left, x2: m.left + w, y1: sy(t), y2: sy(t) }));
      grid.append(svgEl('text', { x: m.left - 6, y: sy(t) + 4, 'text-anchor': 'end' }, label(t)));
    }
    for (const t of ticks(xMin, xMax, 8)) {
      if (Number.isInteger(t) || xMax - xMin < 8) {
        grid.append(svgEl('line', { x1: sx(t), x2: sx(t), y1: m.top, y2: m.top + hgt }));
        grid.append(svgEl('text', { x: sx(t), y: m.top + hgt + 16, 'text-anchor': 'middle' }, label(t)));
      }
    }
    svg.append(grid);
    svg.append(svgEl('text', { x: m.left + w / 2, y: o.height - 4, 'text-anchor': 'middle', class: 'chart-axis' },
      o.xLabel));
    svg.append(svgEl('text', { x: 12, y: m.top + hgt / 2, 'text-anchor': 'middle', class: 'chart-axis',
      transform: `rotate(-90 12 ${m.top + hgt / 2})` }, o.yLabel));

    const d = data.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    const path = svgEl('path', { d, class: 'chart-line', id: o.pathId, 'data-testid': o.pathTestId,
      'data-points': data.length });
    svg.append(path);
    if (data.length <= 120) {
      const dots = svgEl('g', { class: 'chart-dots' });
      for (const p of data) {
        const c = svgEl('circle', { cx: sx(p.x), cy: sy(p.y), r: 2.6 });
        c.append(svgEl('title', {}, `${o.xLabel} ${label(p.x)}: ${label(p.y)}`));
        dots.append(c);
      }
      svg.append(dots);
    }
  }

  /**
   * Horizontal bars, one per item {label, value, note}; value null is drawn as "n/a" without a bar.
   * Each bar is a rect with data-testid `barTestId` and data-value.
   */
  function bars(svg, items, options) {
    const o = Object.assign({ width: 640, unit: '', empty: 'no data yet', barTestId: 'bar', max: null },
      options || {});
    clear(svg);
    const rowH = 22;
    const m = { left: 170, right: 110, top: 8, bottom: 8 };
    const height = Math.max(60, m.top + m.bottom + rowH * items.length);
    svg.setAttribute('viewBox', `0 0 ${o.width} ${height}`);
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    const w = o.width - m.left - m.right;
    const values = items.map(i => i.value).filter(v => Number.isFinite(v));
    svg.dataset.bars = String(values.length);
    if (items.length === 0) {
      svg.append(svgEl('text', { x: o.width / 2, y: height / 2, 'text-anchor': 'middle', class: 'chart-empty' },
        o.empty));
      return;
    }
    const max = o.max || Math.max(...values, 0) || 1;
    items.forEach((item, i) => {
      const y = m.top + i * rowH;
      svg.append(svgEl('text', { x: m.left - 6, y: y + rowH * 0.68, 'text-anchor': 'end', class: 'chart-label' },
        item.label));
      if (Number.isFinite(item.value)) {
        const bw = Math.max(1, item.value / max * w);
        const rect = svgEl('rect', { x: m.left, y: y + 3, width: bw.toFixed(1), height: rowH - 6,
          class: 'chart-bar ' + (item.cls || ''), 'data-testid': o.barTestId, 'data-value': item.value });
        rect.append(svgEl('title', {}, `${item.label}: ${label(item.value)} ${o.unit}`));
        svg.append(rect);
        svg.append(svgEl('text', { x: m.left + bw + 6, y: y + rowH * 0.68, class: 'chart-value' },
          `${label(item.value)} ${o.unit}${item.note ? ' ' + item.note : ''}`));
      } else {
        svg.append(svgEl('text', { x: m.left + 4, y: y + rowH * 0.68, class: 'chart-value' }, 'n/a'));
      }
    });
  }

  return { line, bars, ticks };
})();
