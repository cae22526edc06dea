// Formatting helpers: numbers, times, units. No dependencies.

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** A time in ms as local `YYYY-MM-DD HH:MM:SS`. */
export function formatTime(ms) {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '—';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A short time of day for chart axes (`HH:MM` or `HH:MM:SS`), with the date when days differ. */
export function formatTick(ms, spanMs) {
  const d = new Date(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (spanMs <= 10 * 60 * 1000) return `${hm}:${pad(d.getSeconds())}`;
  if (spanMs <= 2 * 86400000) return hm;
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}

/** A metric value as text: numbers with sensible decimals, booleans as On/Off. */
export function formatValue(value, unit) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'On' : 'Off';
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) < 1e6) return unit ? `${value} ${unit}` : String(value);
    const abs = Math.abs(value);
    const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
    const text = value.toFixed(digits);
    return unit ? `${text} ${unit}` : text;
  }
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** A JSON value as a number for charts (booleans as 0/1, the NaN strings as NaN). */
export function toNumber(value) {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const n = Number(value);
    return Number.isFinite(n) ? n : NaN;
  }
  return NaN;
}

/** A duration in ms as `15m`, `1h`, `7d`. */
export function formatDuration(ms) {
  if (ms % 86400000 === 0) return `${ms / 86400000}d`;
  if (ms % 3600000 === 0) return `${ms / 3600000}h`;
  if (ms % 60000 === 0) return `${ms / 60000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** `group/node[/device]`. */
export function sourceName(group, node, device) {
  return device ? `${group}/${node}/${device}` : `${group}/${node}`;
}

/** Creates an element with attributes and children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
