// A small SVG time-series chart, drawn by hand: one line per series (raw samples, or bucket
// averages with a min–max band), up to two unit axes, drag across the plot to zoom, hover for
// a read-out. No library.

import { formatTick, formatValue } from './format.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

const TIME_STEPS = [
  1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 108e5, 216e5, 432e5,
  864e5, 1728e5, 6048e5,
];

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** About `count` round values covering [lo, hi]. */
export function niceTicks(lo, hi, count = 5) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Math.round(t / step) * step);
  }
  return ticks;
}

/** Time ticks aligned to local clock boundaries. */
export function timeTicks(from, to, count = 6) {
  const step = TIME_STEPS.find((s) => s >= (to - from) / count) || TIME_STEPS[TIME_STEPS.length - 1];
  const offset = new Date(from).getTimezoneOffset() * 60000;
  const ticks = [];
  for (let t = Math.ceil((from - offset) / step) * step + offset; t <= to; t += step) ticks.push(t);
  return ticks;
}

function extent(series) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const [, v] of s.points) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    for (const [, a, b] of s.band || []) {
      if (Number.isFinite(a)) lo = Math.min(lo, a);
      if (Number.isFinite(b)) hi = Math.max(hi, b);
    }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (hi - lo < 1e-9) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.06;
  return [lo - pad, hi + pad];
}

/**
 * Draws `series` ([{label, unit, color, points: [[t, v]], band?: [[t, min, max]], step?, holdUntil?}]) over
 * [from, to] into `container`. `onZoom(from, to)` is called when the user drags across the plot.
 * Returns the number of points drawn.
 */
export function drawChart(container, { series, from, to, onZoom, title }) {
  const width = Math.max(container.clientWidth || 0, 320);
  const height = width < 560 ? 240 : 320;
  const units = [...new Set(series.map((s) => s.unit))].slice(0, 2);
  const m = { left: 58, right: units.length > 1 ? 58 : 16, top: 14, bottom: 30 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const x = (t) => m.left + ((t - from) / (to - from)) * plotW;
  const tAt = (px) => from + ((px - m.left) / plotW) * (to - from);
  const scales = units.map((u) => {
    const [lo, hi] = extent(series.filter((s) => s.unit === u));
    return { unit: u, lo, hi, y: (v) => m.top + plotH - ((v - lo) / (hi - lo)) * plotH };
  });
  const scaleOf = (s) => scales.find((sc) => sc.unit === s.unit) || scales[0];

  const total = series.reduce((n, s) => n + s.points.length, 0);
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', class: 'chart',
    'aria-label': `${title || 'Trend'}: ${series.map((s) => s.label).join(', ')}; ${total} points`,
    'data-point-count': total,
  });
  root.append(svg('title', {}, title || 'Trend'));
  const clipId = `clip-${Math.random().toString(36).slice(2)}`;
  const defs = svg('defs');
  const clip = svg('clipPath', { id: clipId });
  clip.append(svg('rect', { x: m.left, y: m.top, width: plotW, height: plotH }));
  defs.append(clip);
  root.append(defs);

  const grid = svg('g', { class: 'grid' });
  for (const t of timeTicks(from, to, Math.max(2, Math.floor(plotW / 110)))) {
    grid.append(svg('line', { x1: x(t), x2: x(t), y1: m.top, y2: m.top + plotH }));
    grid.append(svg('text', { x: x(t), y: height - 8, 'text-anchor': 'middle' }, formatTick(t, to - from)));
  }
  scales.forEach((sc, i) => {
    for (const v of niceTicks(sc.lo, sc.hi, Math.max(2, Math.floor(plotH / 50)))) {
      if (i === 0) grid.append(svg('line', { x1: m.left, x2: m.left + plotW, y1: sc.y(v), y2: sc.y(v) }));
      grid.append(svg('text', {
        x: i === 0 ? m.left - 6 : m.left + plotW + 6, y: sc.y(v) + 4,
        'text-anchor': i === 0 ? 'end' : 'start',
      }, formatValue(v)));
    }
    grid.append(svg('text', {
      x: i === 0 ? 4 : width - 4, y: m.top - 2 + 10, 'text-anchor': i === 0 ? 'start' : 'end', class: 'unit',
    }, sc.unit));
  });
  root.append(grid);
  root.append(svg('rect', { x: m.left, y: m.top, width: plotW, height: plotH, class: 'frame' }));

  const plot = svg('g', { 'clip-path': `url(#${clipId})` });
  for (const s of series) {
    const sc = scaleOf(s);
    if (s.band && s.band.length) {
      const upper = s.band.filter(([, , b]) => Number.isFinite(b)).map(([t, , b]) => `${x(t).toFixed(1)},${sc.y(b).toFixed(1)}`);
      const lower = s.band.filter(([, a]) => Number.isFinite(a)).map(([t, a]) => `${x(t).toFixed(1)},${sc.y(a).toFixed(1)}`).reverse();
      plot.append(svg('polygon', { points: [...upper, ...lower].join(' '), fill: s.color, class: 'band' }));
    }
    let d = '';
    let pen = false;
    for (const [t, v] of s.points) {
      if (!Number.isFinite(v)) { pen = false; continue; }
      const px = x(t).toFixed(1);
      const py = sc.y(v).toFixed(1);
      if (!pen) d += `M${px} ${py}`;
      else if (s.step) d += `H${px}V${py}`;
      else d += `L${px} ${py}`;
      pen = true;
    }
    // Report by exception: a value holds until the next one, so the line runs on to `holdUntil`.
    const tail = s.points[s.points.length - 1];
    if (pen && s.holdUntil && tail && s.holdUntil > tail[0]) d += `H${x(Math.min(s.holdUntil, to)).toFixed(1)}`;
    const last = s.points.length ? s.points[s.points.length - 1][1] : '';
    plot.append(svg('path', {
      d: d || 'M0 0', stroke: s.color, class: 'line',
      'data-points': s.points.length, 'data-label': s.label, 'data-last': last,
    }));
    if (s.points.length && s.points.length <= 60) {
      for (const [t, v] of s.points) {
        if (Number.isFinite(v)) plot.append(svg('circle', { cx: x(t), cy: sc.y(v), r: 2.5, fill: s.color }));
      }
    }
  }
  root.append(plot);

  // Hover read-out and drag-to-zoom.
  const cursor = svg('line', { class: 'cursor', y1: m.top, y2: m.top + plotH, visibility: 'hidden' });
  const readout = svg('text', { class: 'readout', x: m.left + 6, y: m.top + 14 });
  const selection = svg('rect', { class: 'selection', y: m.top, height: plotH, width: 0, visibility: 'hidden' });
  const overlay = svg('rect', { x: m.left, y: m.top, width: plotW, height: plotH, class: 'overlay' });
  root.append(cursor, selection, readout, overlay);
  const local = (event) => {
    const box = root.getBoundingClientRect();
    return ((event.clientX - box.left) / box.width) * width;
  };
  let dragFrom = null;
  overlay.addEventListener('pointerdown', (event) => {
    dragFrom = local(event);
    overlay.setPointerCapture(event.pointerId);
  });
  overlay.addEventListener('pointermove', (event) => {
    const px = Math.min(Math.max(local(event), m.left), m.left + plotW);
    cursor.setAttribute('x1', px);
    cursor.setAttribute('x2', px);
    cursor.setAttribute('visibility', 'visible');
    const t = tAt(px);
    const parts = series.map((s) => {
      let best = null;
      for (const p of s.points) if (!best || Math.abs(p[0] - t) < Math.abs(best[0] - t)) best = p;
      return best ? `${s.label} ${formatValue(best[1], s.unit)}` : null;
    }).filter(Boolean);
    readout.textContent = `${formatTick(t, 0)}  ${parts.join('  ')}`;
    if (dragFrom !== null) {
      selection.setAttribute('x', Math.min(dragFrom, px));
      selection.setAttribute('width', Math.abs(px - dragFrom));
      selection.setAttribute('visibility', 'visible');
    }
  });
  overlay.addEventListener('pointerleave', () => {
    cursor.setAttribute('visibility', 'hidden');
    readout.textContent = '';
  });
  overlay.addEventListener('pointerup', (event) => {
    if (dragFrom === null) return;
    const px = local(event);
    const [a, b] = [Math.min(dragFrom, px), Math.max(dragFrom, px)];
    dragFrom = null;
    selection.setAttribute('visibility', 'hidden');
    if (b - a > 8 && onZoom) onZoom(Math.round(tAt(Math.max(a, m.left))), Math.round(tAt(Math.min(b, m.left + plotW))));
  });
  container.replaceChildren(root);
  return total;
}
