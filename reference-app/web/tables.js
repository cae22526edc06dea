// The events list (births, deaths, seq gaps, rebirth requests, violations) and the report /
// KPI tables with their CSV download. The events list reloads when the stream says something
// happened, not on a timer.

import { apiUrl, authMode, download, get } from './api.js';
import { el, formatTime, sourceName } from './format.js';
import { subscribe } from './live.js';

const KIND_LABEL = {
  online: 'Birth',
  offline: 'Death',
  seq_gap: 'Seq gap',
  rebirth_requested: 'Rebirth request',
  violation: 'Violation',
};

/** How many of a job's newest windows the table shows (and its CSV holds). */
const WINDOWS_SHOWN = 48;

const ui = {};
let eventsVisible = false;
let reloadTimer = null;

function detailText(detail) {
  if (!detail || typeof detail !== 'object') return detail ? String(detail) : '';
  return Object.entries(detail).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
}

/** Reads and shows the newest events. */
export async function loadEvents() {
  const kind = ui.kind.value;
  try {
    const rows = await get(['events'], { kind, limit: 200 });
    ui.events.replaceChildren(...rows.map((e) => el('tr', { class: `event ${e.kind}` },
      el('td', { text: formatTime(e.timestamp_ms) }),
      el('td', {}, el('span', { class: `kind ${e.kind}`, text: KIND_LABEL[e.kind] || e.kind })),
      el('td', { text: e.group ? sourceName(e.group, e.node, e.device) : '—' }),
      el('td', { class: 'num', text: e.bd_seq ?? '' }),
      el('td', { text: detailText(e.detail) }))));
    ui.eventsInfo.textContent = rows.length
      ? `${rows.length} newest events${kind ? ` of kind ${KIND_LABEL[kind] || kind}` : ''}.`
      : 'No events yet.';
  } catch (error) {
    ui.eventsInfo.textContent = `The events could not be read: ${error.message}`;
  }
}

function onLive(event) {
  if (!eventsVisible || (event.type !== 'presence' && event.type !== 'event')) return;
  // The store writes the event shortly after the host saw it: read a moment later, once.
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(loadEvents, 1500);
}

export function showEvents(shown) {
  eventsVisible = shown;
  if (shown) loadEvents();
}

async function loadJobs() {
  try {
    const jobs = await get(['reports']);
    const current = ui.job.value;
    ui.job.replaceChildren(...jobs.map((j) => el('option', { value: j.name, text: `${j.name} (${j.kind})` })));
    if (jobs.some((j) => j.name === current)) ui.job.value = current;
    else {
      const kpis = jobs.find((j) => j.kind === 'ice_plant_kpis');
      if (kpis) ui.job.value = kpis.name;
    }
    ui.jobs = jobs;
  } catch (error) {
    ui.reportInfo.textContent = `The report jobs could not be read: ${error.message}`;
  }
}

function cell(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 1 : 3);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Reads and shows the chosen job's newest rows. */
export async function loadReport() {
  const job = ui.job.value;
  if (!job) {
    ui.reportInfo.textContent = 'No report job is configured.';
    return;
  }
  const info = (ui.jobs || []).find((j) => j.name === job);
  // The API lists rows oldest first: ask for the last windows before the watermark only.
  const query = { limit: 5000 };
  if (info?.watermark_ms && info.window_ms) query.from = info.watermark_ms - WINDOWS_SHOWN * info.window_ms;
  if (ui.reportKey.value) query.key = ui.reportKey.value;
  const csv = apiUrl(['reports', job], { ...query, limit: 100000, format: 'csv' });
  ui.csv.href = csv;
  ui.csv.setAttribute('download', `${job}.csv`);
  try {
    const rows = (await get(['reports', job], query)).reverse().slice(0, 200);
    const fields = [...new Set(rows.flatMap((r) => Object.keys(r.fields || {})))].sort();
    ui.reportHead.replaceChildren(el('tr', {},
      ...['Window start', 'Window end', 'Key', ...fields].map((h) => el('th', { scope: 'col', text: h }))));
    ui.reportBody.replaceChildren(...rows.map((r) => el('tr', {},
      el('td', { text: formatTime(r.window_start_ms) }),
      el('td', { text: formatTime(r.window_end_ms) }),
      el('td', { text: r.key }),
      ...fields.map((f) => el('td', { class: 'num', text: cell(r.fields?.[f]) })))));
    const mark = info?.watermark_ms ? `; complete up to ${formatTime(info.watermark_ms)}` : '; no window completed yet';
    ui.reportInfo.textContent = `${rows.length} newest rows of ${job} (at most ${WINDOWS_SHOWN} windows)${mark}.`;
  } catch (error) {
    ui.reportInfo.textContent = `The report could not be read: ${error.message}`;
  }
}

export async function showReports(shown) {
  if (!shown) return;
  await loadJobs();
  await loadReport();
}

/** Binds the Events and Reports sections. */
export function initTables(eventsSection, reportsSection) {
  ui.kind = eventsSection.querySelector('#event-kind');
  ui.events = eventsSection.querySelector('#events-body');
  ui.eventsInfo = eventsSection.querySelector('#events-info');
  ui.kind.addEventListener('change', loadEvents);
  eventsSection.querySelector('#events-reload').addEventListener('click', loadEvents);

  ui.job = reportsSection.querySelector('#report-job');
  ui.reportKey = reportsSection.querySelector('#report-key');
  ui.reportHead = reportsSection.querySelector('#report-head');
  ui.reportBody = reportsSection.querySelector('#report-body');
  ui.reportInfo = reportsSection.querySelector('#report-info');
  ui.csv = reportsSection.querySelector('#report-csv');
  reportsSection.querySelector('#report-form').addEventListener('submit', (e) => {
    e.preventDefault();
    loadReport();
  });
  ui.job.addEventListener('change', loadReport);
  if (authMode === 'all') {
    ui.csv.addEventListener('click', (e) => {
      e.preventDefault();
      download(ui.csv.href, `${ui.job.value}.csv`).catch((error) => {
        ui.reportInfo.textContent = `The CSV could not be downloaded: ${error.message}`;
      });
    });
  }
  subscribe(onLive);
}
