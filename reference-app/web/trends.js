// Trends: any metrics over a chosen range from the history API, several on one chart. Short
// ranges show raw samples; long ranges bucketed averages with a min–max band. Drag across the
// chart to zoom in (the zoomed range is fetched again at a finer bucket); live values extend
// the chart while it shows the latest range.

import { apiUrl, authMode, download, get } from './api.js';
import { drawChart } from './chart.js';
import { el, formatDuration, formatTime, sourceName, toNumber } from './format.js';
import { key, model, subscribe } from './live.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
/** Raw samples up to this span; buckets beyond. */
const RAW_SPAN_MS = 60 * 60 * 1000;
const BUCKETS = [1e3, 5e3, 1e4, 3e4, 6e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 216e5, 432e5, 864e5];
/** About this many buckets across the chart. */
const TARGET_BUCKETS = 400;

const ui = {};
const state = { series: [], rangeMs: RAW_SPAN_MS, zoom: null, window: null, generation: 0, bucketMs: null };
let redrawTimer = null;
let visible = false;
/** While the user drags across the chart, live values wait: a redraw would drop the drag. */
let dragging = false;

/** The sources (node and devices) that have metrics, for the source list. */
function sources() {
  const set = new Set();
  for (const k of model.values.keys()) set.add(k.slice(0, k.indexOf('|')));
  return [...set].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

function metricsOf(source) {
  const prefix = `${source}|`;
  return [...model.values.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort();
}

function fillSources() {
  const current = ui.source.value;
  const list = sources();
  ui.source.replaceChildren(...list.map((s) => el('option', { value: s, text: s.endsWith('/') ? `${s.slice(0, -1)} (node)` : s })));
  if (list.includes(current)) ui.source.value = current;
  fillMetrics();
}

function fillMetrics() {
  const current = ui.metric.value;
  const list = metricsOf(ui.source.value);
  ui.metric.replaceChildren(...list.map((m) => el('option', { value: m, text: m })));
  if (list.includes(current)) ui.metric.value = current;
}

function parseSource(source) {
  const [group, node, device] = source.split('/');
  return { group, node, device: device || null };
}

function historySegments(s) {
  return s.device
    ? ['nodes', s.group, s.node, 'devices', s.device, 'history']
    : ['nodes', s.group, s.node, 'history'];
}

/** Adds a series (ignored when it is already on the chart or would be a third unit). */
export function addSeries(group, node, device, metric) {
  const id = key(group, node, device, metric);
  if (state.series.some((s) => s.id === id)) return;
  const unit = model.units.get(id) || '';
  const units = new Set(state.series.map((s) => s.unit));
  if (!units.has(unit) && units.size >= 2) {
    ui.info.textContent = 'One chart shows at most two units: remove a series first.';
    return;
  }
  const used = new Set(state.series.map((s) => s.color));
  const color = COLORS.find((c) => !used.has(c)) || COLORS[state.series.length % COLORS.length];
  state.series.push({ id, group, node, device, metric, unit, color, points: [], band: null,
    label: `${device || node} ${metric}`,
    // Switches and setpoints change in steps; measurements are drawn point to point.
    step: typeof model.values.get(id)?.value === 'boolean' || /Setpoint|Enabled|Running|Tripped/.test(metric) });
  renderSeriesList();
  load();
}

function renderSeriesList() {
  ui.list.replaceChildren(...state.series.map((s) => {
    const remove = el('button', { type: 'button', class: 'small', text: 'Remove', 'aria-label': `Remove ${s.label} from the chart` });
    remove.addEventListener('click', () => {
      state.series = state.series.filter((x) => x !== s);
      renderSeriesList();
      load();
    });
    const csv = el('a', { href: csvUrl(s), download: '', text: 'CSV', 'aria-label': `Download ${s.label} as CSV` });
    if (authMode === 'all') {
      csv.addEventListener('click', (e) => {
        e.preventDefault();
        download(csvUrl(s), `${s.label.replace(/\W+/g, '_')}.csv`).catch(() => {});
      });
    }
    return el('li', {},
      el('span', { class: 'swatch', 'data-color': s.color, 'aria-hidden': 'true' }),
      el('span', { text: `${sourceName(s.group, s.node, s.device)} ${s.metric}${s.unit ? ` (${s.unit})` : ''}` }),
      ' ', csv, ' ', remove);
  }));
  for (const swatch of ui.list.querySelectorAll('.swatch')) swatch.style.background = swatch.dataset.color;
}

function csvUrl(s) {
  const w = currentWindow();
  const query = { metric: s.metric, from: w.from, to: w.to, format: 'csv' };
  if (state.bucketMs) query.bucket = formatDuration(state.bucketMs);
  return apiUrl(historySegments(s), query);
}

function currentWindow() {
  if (state.zoom) return state.zoom;
  const to = (model.latestMs || Date.now()) + 1;
  return { from: to - state.rangeMs, to };
}

function bucketFor(span) {
  if (span <= RAW_SPAN_MS) return null;
  return BUCKETS.find((b) => span / b <= TARGET_BUCKETS) || BUCKETS[BUCKETS.length - 1];
}

/** Fetches every series for the current window and redraws. */
export async function load() {
  const generation = ++state.generation;
  const w = currentWindow();
  state.window = w;
  state.bucketMs = bucketFor(w.to - w.from);
  if (!state.series.length) {
    draw();
    return;
  }
  ui.info.textContent = 'Loading…';
  try {
    await Promise.all(state.series.map(async (s) => {
      const query = { metric: s.metric, from: w.from, to: w.to };
      if (state.bucketMs) query.bucket = formatDuration(state.bucketMs);
      else query.limit = 20000;
      const answer = await get(historySegments(s), query);
      if (answer.buckets) {
        const half = state.bucketMs / 2;
        s.points = answer.buckets.map((b) => [b.start_ms + half, b.avg ?? NaN]);
        // The band spans each bucket edge to edge, so even a single bucket shows.
        s.band = answer.buckets.flatMap((b) => [
          [b.start_ms, toNumber(b.min), toNumber(b.max)],
          [b.start_ms + state.bucketMs, toNumber(b.min), toNumber(b.max)],
        ]);
      } else {
        s.points = (answer.samples || []).map((p) => [p.timestamp_ms, toNumber(p.value)]);
        s.band = null;
      }
    }));
    if (generation !== state.generation) return;
    const kind = state.bucketMs
      ? `${formatDuration(state.bucketMs)} averages, band from min to max`
      : 'raw samples';
    ui.info.textContent = `${formatTime(w.from)} to ${formatTime(w.to)}: ${kind}${state.zoom ? ' (zoomed)' : ''}.`;
  } catch (error) {
    if (generation !== state.generation) return;
    ui.info.textContent = `The history could not be read: ${error.message}`;
  }
  refreshCsvLinks();
  draw();
}

function refreshCsvLinks() {
  const links = ui.list.querySelectorAll('a');
  state.series.forEach((s, i) => links[i]?.setAttribute('href', csvUrl(s)));
}

function draw() {
  if (!visible) return;
  if (!state.series.length) {
    ui.chart.replaceChildren(el('p', { class: 'empty', text: 'Pick a metric and add it to the chart.' }));
    return;
  }
  const w = state.window || currentWindow();
  for (const s of state.series) s.holdUntil = state.zoom || state.bucketMs ? null : model.latestMs;
  drawChart(ui.chart, {
    series: state.series,
    from: w.from,
    to: w.to,
    title: 'Trend',
    onZoom: (from, to) => {
      state.zoom = { from, to };
      ui.reset.disabled = false;
      load();
    },
  });
}

/** Live values extend the chart while it follows the latest range. */
function onLive(event) {
  if (event.type === 'snapshot' || event.type === 'catalogue') {
    if (visible) fillSources();
    return;
  }
  if (event.type !== 'metrics' || state.zoom || !state.series.length) return;
  let changed = false;
  for (const v of event.values) {
    const id = key(event.group, event.node, event.device, v.name);
    const s = state.series.find((x) => x.id === id);
    if (s && typeof v.timestamp_ms === 'number') {
      s.points.push([v.timestamp_ms, toNumber(v.value)]);
      changed = true;
    }
  }
  if (!changed || redrawTimer) return;
  redrawTimer = setTimeout(function redraw() {
    if (dragging) {
      redrawTimer = setTimeout(redraw, 500);
      return;
    }
    redrawTimer = null;
    const w = currentWindow();
    state.window = w;
    for (const s of state.series) {
      s.points = s.points.filter(([t]) => t >= w.from);
      if (s.band) s.band = s.band.filter(([t]) => t >= w.from);
    }
    draw();
  }, 1000);
}

/** Called when the Trends tab is shown or hidden. */
export function showTrends(shown) {
  visible = shown;
  if (!shown) return;
  fillSources();
  if (!state.series.length) {
    const plant = [...model.devices.values()].find((d) => d.device === 'BrineTank');
    if (plant) {
      addSeries(plant.group, plant.node, 'BrineTank', 'Temperature');
      addSeries(plant.group, plant.node, 'BrineTank', 'Setpoint/Temperature');
      return;
    }
  }
  load();
}

/** Binds the controls of the Trends section. */
export function initTrends(section) {
  ui.source = section.querySelector('#trend-source');
  ui.metric = section.querySelector('#trend-metric');
  ui.range = section.querySelector('#trend-range');
  ui.reset = section.querySelector('#trend-reset');
  ui.list = section.querySelector('#trend-series');
  ui.chart = section.querySelector('#trend-chart');
  ui.info = section.querySelector('#trend-info');
  ui.source.addEventListener('change', fillMetrics);
  ui.chart.addEventListener('pointerdown', () => {
    dragging = true;
  });
  window.addEventListener('pointerup', () => {
    dragging = false;
  });
  window.addEventListener('pointercancel', () => {
    dragging = false;
  });
  section.querySelector('#trend-add').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!ui.metric.value) return;
    const s = parseSource(ui.source.value.replace(/\/$/, ''));
    addSeries(s.group, s.node, s.device, ui.metric.value);
  });
  ui.range.addEventListener('change', () => {
    state.rangeMs = Number(ui.range.value);
    state.zoom = null;
    ui.reset.disabled = true;
    load();
  });
  ui.reset.addEventListener('click', () => {
    state.zoom = null;
    ui.reset.disabled = true;
    load();
  });
  section.querySelector('#trend-reload').addEventListener('click', load);
  let resize = null;
  window.addEventListener('resize', () => {
    clearTimeout(resize);
    resize = setTimeout(draw, 200);
  });
  subscribe(onLive);
}
