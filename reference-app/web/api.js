// The REST API client: JSON reads, commands, the bearer token when the app has one.

const TOKEN_KEY = 'ice-plant-dashboard-token';

/** `none`, `commands` or `all`: which routes need the bearer token (from the page's meta tag). */
export const authMode =
  document.querySelector('meta[name="dashboard-auth"]')?.getAttribute('content') || 'none';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An API failure with the server's message. */
export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function headers(extra = {}) {
  const h = { ...extra };
  if (authMode !== 'none' && token()) h.Authorization = `Bearer ${token()}`;
  return h;
}

async function answer(response) {
  const type = response.headers.get('content-type') || '';
  const body = type.includes('application/json') ? await response.json() : await response.text();
  if (!response.ok) {
    const message = typeof body === 'object' && body ? body.message : String(body);
    const code = typeof body === 'object' && body ? body.error : 'error';
    throw new ApiFailure(response.status, code, message || response.statusText);
  }
  return body;
}

/** Builds `/api/v1/...` with encoded path segments and a query. */
export function apiUrl(segments, query = {}) {
  const path = segments.map(encodeURIComponent).join('/');
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return `/api/v1/${path}${qs ? `?${qs}` : ''}`;
}

/** GET a JSON answer. */
export async function get(segments, query) {
  const response = await fetch(apiUrl(segments, query), { headers: headers() });
  return answer(response);
}

/** POST a JSON body (a command). */
export async function post(segments, body) {
  const response = await fetch(apiUrl(segments), {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answer(response);
}

/** Opens the live stream; resolves to the fetch Response (the caller reads its body). */
export function openStream(signal) {
  return fetch('/api/v1/stream', { headers: headers({ Accept: 'text/event-stream' }), signal });
}

/** Downloads a CSV (through fetch, so the token goes with it when reads need one). */
export async function download(url, filename) {
  const response = await fetch(url, { headers: headers() });
  if (!response.ok) await answer(response);
  const blob = await response.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}
