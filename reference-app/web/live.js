// The live model of the plants: nodes, devices and latest values, loaded from the REST API and
// kept current by the server's event stream (GET /api/v1/stream, server-sent events read
// through fetch so the bearer token can go with it). No polling.

import { ApiFailure, get, openStream } from './api.js';

export const model = {
  /** 'group/node' -> the API's node row. */
  nodes: new Map(),
  /** 'group/node/device' -> the API's device row. */
  devices: new Map(),
  /** key(...) -> { value, timestamp_ms, quality }. */
  values: new Map(),
  /** key(...) -> engineering unit. */
  units: new Map(),
  /** Newest metric time seen, ms. Plant time: it runs ahead of the wall clock when the simulator is fast-forwarded. */
  latestMs: 0,
};

/** The key of a metric; `device` is empty for node metrics. */
export const key = (group, node, device, metric) => `${group}/${node}/${device || ''}|${metric}`;

export const value = (group, node, device, metric) =>
  model.values.get(key(group, node, device, metric))?.value;

/** Sparkplug quality code of BAD (the `Quality` property, SPARKPLUG.md 3.6). */
export const BAD = 0;

/** Whether a metric's latest value came with quality BAD (a failed sensor). */
export const isBad = (group, node, device, metric) =>
  model.values.get(key(group, node, device, metric))?.quality === BAD;

export const unit = (group, node, device, metric) =>
  model.units.get(key(group, node, device, metric)) || '';

const listeners = new Set();

/** Calls `fn(change)` on every change: `{type: 'snapshot'}` or a live event. */
export function subscribe(fn) {
  listeners.add(fn);
}

function notify(change) {
  for (const fn of listeners) {
    try {
      fn(change);
    } catch (error) {
      // A view's bug must not stop the stream; it shows in the page's status line.
      showProblem(`view update failed: ${error.message}`);
    }
  }
}

let problemHandler = () => {};
export function onProblem(fn) {
  problemHandler = fn;
}
function showProblem(message) {
  problemHandler(message);
}

function seen(ms) {
  if (typeof ms === 'number' && ms > model.latestMs) model.latestMs = ms;
}

async function loadMetrics(group, node, device) {
  const rows = device
    ? await get(['nodes', group, node, 'devices', device, 'metrics'])
    : await get(['nodes', group, node, 'metrics']);
  for (const row of rows) {
    const k = key(group, node, device, row.name);
    if (row.eng_unit) model.units.set(k, row.eng_unit);
    if (row.latest) {
      const current = model.values.get(k);
      if (!current || (current.timestamp_ms ?? 0) <= row.latest.timestamp_ms) {
        model.values.set(k, {
          value: row.latest.value,
          timestamp_ms: row.latest.timestamp_ms,
          quality: row.latest.quality,
        });
      }
      seen(row.latest.timestamp_ms);
    }
  }
}

/** Loads every node, device and latest value from the API. */
export async function loadSnapshot() {
  const nodes = await get(['nodes']);
  const devices = new Map();
  await Promise.all(
    nodes.map(async (n) => {
      const rows = await get(['nodes', n.group, n.node, 'devices']);
      for (const d of rows) devices.set(`${d.group}/${d.node}/${d.device}`, d);
      await Promise.all([
        loadMetrics(n.group, n.node, null),
        ...rows.map((d) => loadMetrics(d.group, d.node, d.device)),
      ]);
    }),
  );
  model.nodes = new Map(nodes.map((n) => [`${n.group}/${n.node}`, n]));
  model.devices = devices;
  notify({ type: 'snapshot' });
}

// A source first seen on the stream: its catalogue (units) is read once the store has its birth.
const pendingCatalogue = new Set();
function learnLater(group, node, device) {
  const id = `${group}/${node}/${device || ''}`;
  if (pendingCatalogue.has(id)) return;
  pendingCatalogue.add(id);
  setTimeout(() => {
    loadMetrics(group, node, device)
      .catch(() => {})
      .finally(() => {
        pendingCatalogue.delete(id);
        notify({ type: 'catalogue' });
      });
  }, 2000);
}

function nodeRow(group, node) {
  const id = `${group}/${node}`;
  let row = model.nodes.get(id);
  if (!row) {
    row = { group, node, online: false, last_birth_ms: null, last_death_ms: null, births: 0, deaths: 0, seq_gaps: 0 };
    model.nodes.set(id, row);
    learnLater(group, node, null);
  }
  return row;
}

function deviceRow(group, node, device) {
  const id = `${group}/${node}/${device}`;
  let row = model.devices.get(id);
  if (!row) {
    row = { group, node, device, online: false, last_birth_ms: null, last_death_ms: null, births: 0, deaths: 0 };
    model.devices.set(id, row);
    learnLater(group, node, device);
  }
  return row;
}

/** Applies one live event to the model. */
export function apply(event) {
  if (event.type === 'metrics') {
    const { group, node, device } = event;
    if (device) deviceRow(group, node, device);
    else nodeRow(group, node);
    for (const v of event.values) {
      model.values.set(key(group, node, device, v.name), {
        value: v.value,
        timestamp_ms: v.timestamp_ms,
        quality: v.quality,
      });
      seen(v.timestamp_ms);
    }
  } else if (event.type === 'presence') {
    const row = event.device
      ? deviceRow(event.group, event.node, event.device)
      : nodeRow(event.group, event.node);
    row.online = event.online;
    if (event.online) {
      row.last_birth_ms = event.at_ms;
      row.births += 1;
    } else {
      row.last_death_ms = event.at_ms;
      row.deaths += 1;
    }
  } else if (event.type === 'event' && event.kind === 'seq_gap' && event.group && event.node) {
    nodeRow(event.group, event.node).seq_gaps += 1;
  }
  notify(event);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Splits a text/event-stream body into the JSON of its `data:` fields. */
export function* parseEvents(buffer) {
  let rest = buffer.text;
  let end;
  while ((end = rest.indexOf('\n\n')) >= 0) {
    const block = rest.slice(0, end);
    rest = rest.slice(end + 2);
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data) yield data;
  }
  buffer.text = rest;
}

/**
 * Follows the stream for ever: on every (re)connection it reloads the snapshot, then applies
 * events as they come. `onStatus` gets `connecting`, `live`, `reconnecting`, `unauthorized` or
 * `unavailable` (no host in this process: the page shows stored data only).
 */
export async function follow(onStatus) {
  let retryMs = 1000;
  // In serve mode (no host in the process) the stream would answer 503, which the browser logs
  // as an error: /readyz says so first (`host_connected` is null without a host).
  try {
    const ready = await (await fetch('/readyz')).json();
    if (ready.host_connected === null) {
      onStatus('unavailable');
      await loadSnapshot();
      return;
    }
  } catch {
    // Not ready or unreachable: the stream below retries.
  }
  for (;;) {
    onStatus('connecting');
    try {
      const response = await openStream();
      if (response.status === 503) {
        onStatus('unavailable');
        await loadSnapshot();
        return;
      }
      if (response.status === 401) {
        onStatus('unauthorized');
        await sleep(5000);
        continue;
      }
      if (!response.ok || !response.body) throw new ApiFailure(response.status, 'stream', 'stream refused');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      const buffer = { text: '' };
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done) break;
        buffer.text += chunk.replace(/\r\n?/g, '\n');
        for (const data of parseEvents(buffer)) {
          let event;
          try {
            event = JSON.parse(data);
          } catch {
            continue;
          }
          if (event.type === 'hello' || event.type === 'lagged') {
            await loadSnapshot();
            if (event.type === 'hello') onStatus('live');
            retryMs = 1000;
          } else {
            apply(event);
          }
        }
      }
    } catch (error) {
      if (error instanceof ApiFailure && error.status !== 503) showProblem(error.message);
    }
    onStatus('reconnecting');
    await sleep(retryMs);
    retryMs = Math.min(retryMs * 2, 15000);
  }
}
