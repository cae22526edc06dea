// The dashboard in a real browser: headless Chromium driven by playwright-core, against a
// running reference app (`.ci/browser-test` starts one on embedded defaults).
//
//   DASHBOARD_URL   the app's API address (default http://127.0.0.1:18080)
//   CHROMIUM_PATH   the browser (default /usr/bin/chromium)
//   ARTIFACTS_DIR   where the screenshots go (default ../../../target/browser-artifacts)
//
// It checks that the overview shows the plant online, that a trend renders points, that a
// brine setpoint change round-trips (command, live value, trend), a compressor enable and a
// rebirth, the events and report tables with their CSV, the tablet layout and accessible
// names, and that the page logs no console error.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.DASHBOARD_URL || 'http://127.0.0.1:18080').replace(/\/$/, '');
const ARTIFACTS = resolve(process.env.ARTIFACTS_DIR || join(here, '../../../target/browser-artifacts'));
const PLANT = 'IcePlant/Plant1';
const LIVE_TIMEOUT = 45_000;

let browser;
let context;
let page;
const problems = [];

function watch(p, label) {
  p.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${label} console error: ${msg.text()}`);
  });
  p.on('pageerror', (error) => problems.push(`${label} page error: ${error.message}`));
  p.on('response', (response) => {
    // A 4xx/5xx the page did not expect shows up as a console error too; this names the URL.
    if (response.status() >= 500) problems.push(`${label} ${response.status()} ${response.url()}`);
  });
}

async function screenshot(p, name, fullPage = true) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await p.screenshot({ path, fullPage });
  return path;
}

async function api(path, init) {
  const response = await fetch(`${BASE}${path}`, init);
  assert.ok(response.ok, `${path}: HTTP ${response.status}`);
  return response.json();
}

/** Retries `check` (which throws until it holds) for up to `ms`. */
async function eventually(check, ms = LIVE_TIMEOUT) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function tab(name) {
  await page.getByRole('link', { name, exact: true }).click();
  await page.locator(`section#${name.toLowerCase()}`).waitFor({ state: 'visible' });
}

async function confirmDialog() {
  const dialog = page.locator('dialog#confirm');
  await dialog.waitFor({ state: 'visible' });
  await dialog.getByRole('button', { name: 'Send command' }).click();
  await page.locator('#toast.ok').waitFor({ state: 'visible', timeout: 10_000 });
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    // No background traffic: the machine's network is closed to all but localhost.
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  page = await context.newPage();
  watch(page, 'laptop');
});

after(async () => {
  await browser?.close();
});

test('the overview shows the plant online with its key values', async () => {
  await page.goto(`${BASE}/`);
  await page.locator('#connection.live').waitFor({ timeout: LIVE_TIMEOUT });
  const card = page.locator(`article.plant[data-node="${PLANT}"]`);
  await card.locator('h2 .badge.online').waitFor({ timeout: LIVE_TIMEOUT });
  const row = page.locator('#nodes-table tr.node', { hasText: PLANT });
  await row.locator('.badge.online').waitFor();
  assert.match(await row.locator('td').nth(0).innerText(), /Online/);
  assert.match(await row.locator('td').nth(1).innerText(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, 'last birth shown');
  for (const device of ['BrineTank', 'Compressor1', 'PowerMeter', 'Ammonia1']) {
    await page.locator('#nodes-table tr.device', { hasText: device }).locator('.badge.online').waitFor();
  }
  // Key values arrive (live or from the snapshot) and carry a level class from the model's limits.
  await card.locator('[data-kpi="brine"] .v', { hasText: /°C/ }).waitFor({ timeout: LIVE_TIMEOUT });
  await card.locator('[data-kpi="power"] .v', { hasText: /kW/ }).waitFor({ timeout: LIVE_TIMEOUT });
  await card.locator('[data-kpi="ammonia"] .v', { hasText: /ppm/ }).waitFor({ timeout: LIVE_TIMEOUT });
  await card.locator('[data-kpi="running"] .v', { hasText: /\d+ \/ 3/ }).waitFor();
  await card.locator('[data-kpi="ice"] .v', { hasText: / t$/ }).waitFor({ timeout: LIVE_TIMEOUT });
  const level = await card.locator('[data-kpi="brine"]').getAttribute('class');
  assert.match(level, /\b(ok|warn|alarm)\b/);
  // Values move without a reload: the plant time shown advances with the stream.
  const sub = card.locator('[data-kpi="alarms"] .sub');
  const before = await sub.innerText();
  await page.waitForFunction(
    ([selector, text]) => document.querySelector(selector)?.textContent !== text,
    [`article.plant[data-node="${PLANT}"] [data-kpi="alarms"] .sub`, before],
    { timeout: 20_000 },
  );
  const shot = await screenshot(page, 'overview.png');
  console.log(`screenshot: ${shot}`);
});

test('a trend renders points, several metrics on one chart', async () => {
  await tab('Trends');
  const chart = page.locator('#trend-chart svg.chart');
  await chart.waitFor({ timeout: 20_000 });
  await page.waitForFunction(
    () => Number(document.querySelector('#trend-chart svg.chart')?.dataset.pointCount) > 0,
    null,
    { timeout: 20_000 },
  );
  const lines = page.locator('#trend-chart path.line');
  assert.equal(await lines.count(), 2, 'brine temperature and its setpoint');
  // Add a third metric of another unit through the form.
  await page.getByLabel('Node or device').selectOption(`${PLANT}/PowerMeter`);
  await page.getByLabel('Metric', { exact: true }).selectOption('ActivePower');
  await page.getByRole('button', { name: 'Add to chart' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#trend-chart path.line').length === 3);
  await page.waitForFunction(
    () => Number(document.querySelector('path.line[data-label="PowerMeter ActivePower"]')?.dataset.points) > 0,
    null,
    { timeout: 20_000 },
  );
  // A long range is bucketed: averages with a min-max band.
  await page.getByLabel('Range').selectOption({ label: 'Last 24 hours' });
  await page.locator('#trend-info', { hasText: 'averages' }).waitFor({ timeout: 20_000 });
  await page.locator('#trend-chart polygon.band').first().waitFor({ state: 'attached', timeout: 20_000 });
  await page.waitForFunction(
    () => Number(document.querySelector('path.line[data-label="BrineTank Temperature"]')?.dataset.points) > 0,
    null,
    { timeout: 20_000 },
  );
  // Zoom: drag across the middle of the plot; the zoomed range is fetched again.
  await page.getByLabel('Range').selectOption({ label: 'Last 15 minutes' });
  await page.locator('#trend-info', { hasText: 'raw samples' }).waitFor({ timeout: 20_000 });
  // The chart box stays while live values redraw the SVG inside it.
  const box = await page.locator('#trend-chart').boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.locator('#trend-info', { hasText: 'zoomed' }).waitFor({ timeout: 20_000 });
  await page.getByRole('button', { name: 'Reset zoom' }).click();
  await page.locator('#trend-info', { hasText: 'raw samples' }).waitFor({ timeout: 20_000 });
  await page.getByRole('button', { name: 'Remove PowerMeter ActivePower from the chart' }).click();
  await screenshot(page, 'trends.png');
});

test('a brine setpoint change round-trips to the live value, the alarm colouring and the trend', async () => {
  await tab('Overview');
  const card = page.locator(`article.plant[data-node="${PLANT}"]`);
  const metric = await api('/api/v1/nodes/IcePlant/Plant1/devices/BrineTank/metrics/Setpoint/Temperature');
  const current = metric.latest.value;
  // Far enough below the brine temperature (about -11 °C) to pass the model's high-temperature
  // limit (setpoint + 3 K): the plant raises its alarm and the page colours the value.
  const target = current === -16 ? -15.5 : -16;
  const input = card.getByLabel('Brine setpoint (°C)');
  // Cancelling sends nothing.
  await input.fill(String(target));
  await card.getByRole('button', { name: 'Apply setpoint' }).click();
  await page.locator('dialog#confirm').getByRole('button', { name: 'Cancel' }).click();
  await page.locator('#toast', { hasText: 'Cancelled' }).waitFor();
  // Confirming sends the DCMD; the plant answers with the new setpoint on the stream.
  await card.getByRole('button', { name: 'Apply setpoint' }).click();
  assert.match(await page.locator('dialog#confirm .question').innerText(), new RegExp(`to ${target}`));
  await confirmDialog();
  await card.locator('[data-kpi="brine"] .sub', { hasText: `setpoint ${target} °C` }).waitFor({ timeout: LIVE_TIMEOUT });
  const brine = card.locator('[data-kpi="brine"]');
  await card.locator('[data-kpi="brine"].alarm .flag', { hasText: 'ALARM' }).waitFor({ timeout: LIVE_TIMEOUT });
  // The plant model raises the same alarm: its active alarm count goes up, also coloured.
  await card.locator('[data-kpi="alarms"].alarm').waitFor({ timeout: LIVE_TIMEOUT });
  assert.match(await brine.getAttribute('class'), /\balarm\b/);
  // The page shows the stream's value at once; the store has it after its next batch.
  await eventually(async () => {
    const after = await api('/api/v1/nodes/IcePlant/Plant1/devices/BrineTank/metrics/Setpoint/Temperature');
    assert.equal(after.latest.value, target, 'the store has the new setpoint');
  });
  // The trend shows it: the setpoint line ends at the new value.
  await tab('Trends');
  await page.getByRole('button', { name: 'Reload' }).click();
  await page.locator(`#trend-chart path.line[data-label="BrineTank Setpoint/Temperature"][data-last="${target}"]`)
    .waitFor({ timeout: LIVE_TIMEOUT });
  await screenshot(page, 'setpoint-trend.png');
});

test('a compressor is disabled and enabled again, with confirmation', async () => {
  await tab('Overview');
  const toggle = page.getByRole('switch', { name: 'Compressor3 enabled' });
  await toggle.waitFor();
  const wasOn = await toggle.isChecked();
  await toggle.click();
  await confirmDialog();
  await page.waitForFunction(
    ([on]) => document.querySelector('[aria-label="Compressor3 enabled"]').checked === on,
    [!wasOn],
    { timeout: LIVE_TIMEOUT },
  );
  await toggle.click();
  await confirmDialog();
  await page.waitForFunction(
    ([on]) => document.querySelector('[aria-label="Compressor3 enabled"]').checked === on,
    [wasOn],
    { timeout: LIVE_TIMEOUT },
  );
});

test('a rebirth request brings a new birth', async () => {
  const births = (await api('/api/v1/nodes/IcePlant/Plant1')).births;
  await page.getByRole('button', { name: `Request a rebirth of ${PLANT}` }).click();
  assert.match(await page.locator('dialog#confirm .question').innerText(), /rebirth/);
  await confirmDialog();
  const row = page.locator('#nodes-table tr.node', { hasText: PLANT });
  await page.waitForFunction(
    ([n]) => {
      const cells = [...document.querySelectorAll('#nodes-table tr.node')][0]?.querySelectorAll('td');
      return cells && Number(cells[3].textContent) > n;
    },
    [births],
    { timeout: LIVE_TIMEOUT },
  );
  assert.match(await row.locator('td').nth(0).innerText(), /Online/);
});

test('the events list shows births', async () => {
  await tab('Events');
  await page.locator('#events-body tr').first().waitFor({ timeout: 20_000 });
  await page.getByLabel('Kind').selectOption('online');
  await page.locator('#events-body .kind.online', { hasText: 'Birth' }).first().waitFor({ timeout: 20_000 });
  await page.locator('#events-info', { hasText: 'of kind Birth' }).waitFor({ timeout: 20_000 });
  assert.equal(await page.locator('#events-body .kind:not(.online)').count(), 0, 'only births listed');
  await screenshot(page, 'events.png');
});

test('the report tables list the jobs and download as CSV', async () => {
  await tab('Reports');
  const jobs = await api('/api/v1/reports');
  assert.ok(jobs.length > 0, 'the app has report jobs');
  await page.waitForFunction(() => document.querySelectorAll('#report-job option').length > 0);
  assert.equal(await page.locator('#report-job option').count(), jobs.length);
  await page.locator('#report-info', { hasText: /rows of/ }).waitFor({ timeout: 20_000 });
  // The one-minute rollup has rows within seconds of plant time; the table shows them.
  await page.locator('#report-job').selectOption('rollup_1m');
  await eventually(async () => {
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('#report-info', { hasText: 'rows of rollup_1m' }).waitFor({ timeout: 5_000 });
    assert.ok(await page.locator('#report-body tr').count() > 0, 'rollup rows shown');
  });
  assert.ok(await page.locator('#report-head th', { hasText: 'avg' }).count() === 1, 'a column per field');
  const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
  assert.match(href, /format=csv/);
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download CSV' }).click();
  const file = await download;
  assert.match(file.suggestedFilename(), /\.csv$/);
  const csv = await fetch(`${BASE}${href}`);
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /text\/csv/);
  const text = await csv.text();
  assert.match(text, /^job,key,window_start_ms/);
  assert.ok(text.trim().split('\n').length > 1, 'the CSV has rows');
  await screenshot(page, 'reports.png', false);
});

test('every control has an accessible name', async () => {
  for (const name of ['Overview', 'Trends', 'Events', 'Reports']) {
    await tab(name);
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll('button, input, select, a[href]')]
        .filter((e) => e.offsetParent !== null)
        .filter((e) => {
          const label = e.getAttribute('aria-label') || (e.labels && [...e.labels].map((l) => l.textContent).join(''))
            || e.textContent;
          return !label || !label.trim();
        })
        .map((e) => e.outerHTML.slice(0, 80)));
    assert.deepEqual(unnamed, [], `${name}: controls without a name`);
  }
});

test('the overview fits a tablet', async () => {
  const tablet = await browser.newContext({
    viewport: { width: 768, height: 1024 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1,
  });
  const p = await tablet.newPage();
  watch(p, 'tablet');
  await p.goto(`${BASE}/`);
  await p.locator(`article.plant[data-node="${PLANT}"] h2 .badge.online`).waitFor({ timeout: LIVE_TIMEOUT });
  await p.locator(`article.plant[data-node="${PLANT}"] [data-kpi="brine"] .v`, { hasText: /°C/ }).waitFor();
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
  await screenshot(p, 'overview-tablet.png');
  await tablet.close();
});

test('no console errors', () => {
  assert.deepEqual(problems, []);
});
