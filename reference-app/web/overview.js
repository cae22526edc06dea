// The plant overview: one card per ice plant with its key values coloured by the model's alarm
// limits, its commands, and the table of every edge node and device with its state.

import { get } from './api.js';
import { confirmAndRun, requestRebirth, writeMetric, writeNodeMetric } from './commands.js';
import { el, formatTime, formatValue, sourceName } from './format.js';
import { isBad, key, model, subscribe, unit, value } from './live.js';

let limits = null;
const root = { plants: null, nodes: null };
/** 'group/node' -> the plant card's update function. */
const cards = new Map();
let structure = '';
let tableShape = '';
let scheduled = false;

/** The ice plants: nodes with a brine tank and compressors. */
function plants() {
  const byNode = new Map();
  for (const d of model.devices.values()) {
    const id = `${d.group}/${d.node}`;
    if (!byNode.has(id)) byNode.set(id, []);
    byNode.get(id).push(d.device);
  }
  return [...model.nodes.values()]
    .filter((n) => (byNode.get(`${n.group}/${n.node}`) || []).includes('BrineTank'))
    .map((n) => ({ ...n, devices: byNode.get(`${n.group}/${n.node}`) }));
}

/** Template instances `PrefixN` among a node's metrics (a simulator run with `--templates`
 * publishes its compressors as instances of a `Compressor` UDT, their members by path). */
function instances(group, node, prefix) {
  const start = key(group, node, null, '');
  const found = new Set();
  for (const k of model.values.keys()) {
    if (!k.startsWith(start)) continue;
    const m = new RegExp(`^(${prefix}\\d+)/`).exec(k.slice(start.length));
    if (m) found.add(m[1]);
  }
  return [...found];
}

const numbered = (devices, prefix) =>
  devices
    .filter((d) => new RegExp(`^${prefix}\\d+$`).test(d))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));

/** `ok`, `warn` or `alarm` for a high limit (`{raise, clear}` with clear < raise). */
function high(v, limit, offset = 0) {
  if (typeof v !== 'number' || !limit) return 'ok';
  if (v > limit.raise + offset) return 'alarm';
  if (v > limit.clear + offset) return 'warn';
  return 'ok';
}

/** The same for a low limit (clear > raise). */
function low(v, limit, scale = 1) {
  if (typeof v !== 'number' || !limit) return 'ok';
  if (v < limit.raise * scale) return 'alarm';
  if (v < limit.clear * scale) return 'warn';
  return 'ok';
}

const worst = (...levels) =>
  levels.includes('alarm') ? 'alarm' : levels.includes('warn') ? 'warn' : 'ok';

const FLAG = { ok: '', warn: 'near limit', alarm: 'ALARM' };

/** Sets a value cell: its text, its level class and the level in words (not colour alone).
 * `bad`: the value came with quality BAD (a failed sensor), shown as BAD whatever its level. */
function setCell(cell, text, level = 'ok', note = '', bad = false) {
  if (bad) {
    level = 'alarm';
    note = 'BAD';
  }
  cell.querySelector('.v').textContent = text;
  const flag = cell.querySelector('.flag');
  flag.textContent = note || FLAG[level];
  cell.classList.remove('ok', 'warn', 'alarm');
  cell.classList.add(level);
}

function kpi(id, label) {
  return el('div', { class: 'kpi ok', 'data-kpi': id },
    el('dt', { text: label }),
    el('dd', {}, el('span', { class: 'v', text: '—' }), ' ', el('span', { class: 'flag' })),
    el('small', { class: 'sub' }));
}

function idFor(...parts) {
  return parts.join('-').replace(/[^A-Za-z0-9_-]/g, '_');
}

// Ice produced today: the harvest counter now minus its first value of the plant's day.
const dayStart = new Map();
async function refreshDayStart(plant) {
  const id = `${plant.group}/${plant.node}`;
  const now = model.latestMs;
  if (!now) return;
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  const from = midnight.getTime();
  const known = dayStart.get(id);
  if (known && known.from === from) return;
  dayStart.set(id, { from, value: undefined });
  try {
    const answer = await get(['nodes', plant.group, plant.node, 'devices', 'CanGrid', 'history'], {
      metric: 'TonnesHarvested', from, to: now + 1, limit: 1,
    });
    const first = answer.samples?.[0]?.value;
    dayStart.set(id, { from, value: typeof first === 'number' ? first : undefined });
  } catch {
    dayStart.delete(id);
  }
  schedule();
}

function plantCard(plant) {
  const { group, node } = plant;
  const title = idFor('plant', group, node);
  // Compressors are devices, or template instances (node metrics) whose members go by path.
  const udts = new Set(instances(group, node, 'Compressor').filter((c) => !plant.devices.includes(c)));
  const compressors = numbered([...plant.devices, ...udts], 'Compressor');
  const detectors = numbered(plant.devices, 'Ammonia');
  const where = (device, metric) => (udts.has(device) ? [null, `${device}/${metric}`] : [device, metric]);
  const v = (device, metric) => value(group, node, ...where(device, metric));
  const bad = (device, metric) => isBad(group, node, ...where(device, metric));

  const state = el('span', { class: 'badge' });
  const kpis = {
    brine: kpi('brine', 'Brine temperature'),
    running: kpi('running', 'Compressors running'),
    suction: kpi('suction', 'Suction pressure'),
    discharge: kpi('discharge', 'Discharge pressure'),
    ammonia: kpi('ammonia', 'Ammonia'),
    power: kpi('power', 'Power'),
    ice: kpi('ice', 'Ice produced today'),
    alarms: kpi('alarms', 'Active alarms'),
  };

  const rows = new Map();
  const compressorTable = el('table', { class: 'compressors' },
    el('caption', { text: `Compressors of ${group}/${node}` }),
    el('thead', {}, el('tr', {},
      ...['Compressor', 'Enabled', 'State', 'Load', 'Suction', 'Discharge', 'Discharge temp.'].map(
        (h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, compressors.map((c) => {
      const toggle = el('input', {
        type: 'checkbox', role: 'switch', id: idFor('enable', group, node, c),
        'aria-label': `${c} enabled`, 'data-command': 'enable',
      });
      toggle.addEventListener('change', () => {
        const on = toggle.checked;
        toggle.checked = !on;
        confirmAndRun(
          `${on ? 'Enable' : 'Disable'} ${c} of ${group}/${node}?`,
          `${c} ${on ? 'enabled' : 'disabled'}`,
          () => (udts.has(c)
            ? writeNodeMetric(group, node, `${c}/Enabled`, on)
            : writeMetric(group, node, c, 'Enabled', on)),
        );
      });
      const cells = {
        toggle,
        state: el('td', { class: 'ok' }, el('span', { class: 'v' }), ' ', el('span', { class: 'flag' })),
        load: el('td', { class: 'ok' }, el('span', { class: 'v' }), el('span', { class: 'flag' })),
        suction: el('td', { class: 'ok' }, el('span', { class: 'v' }), ' ', el('span', { class: 'flag' })),
        discharge: el('td', { class: 'ok' }, el('span', { class: 'v' }), ' ', el('span', { class: 'flag' })),
        temp: el('td', { class: 'ok' }, el('span', { class: 'v' }), ' ', el('span', { class: 'flag' })),
      };
      rows.set(c, cells);
      return el('tr', {}, el('th', { scope: 'row', text: c }), el('td', {}, toggle),
        cells.state, cells.load, cells.suction, cells.discharge, cells.temp);
    })));

  const setpointInput = el('input', {
    type: 'number', step: '0.5', min: '-25', max: '-2', id: idFor('setpoint', group, node),
    required: true, inputmode: 'decimal',
  });
  const setpointForm = el('form', { class: 'command' },
    el('label', { for: setpointInput.id, text: 'Brine setpoint (°C)' }),
    setpointInput,
    el('button', { type: 'submit', text: 'Apply setpoint' }));
  setpointForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const target = Number(setpointInput.value);
    if (!Number.isFinite(target) || target < -25 || target > -2) {
      setpointInput.setCustomValidity('Between -25 and -2 °C');
      setpointInput.reportValidity();
      return;
    }
    setpointInput.setCustomValidity('');
    const current = v('BrineTank', 'Setpoint/Temperature');
    confirmAndRun(
      `Change the brine setpoint of ${group}/${node} from ${formatValue(current, '°C')} to ${formatValue(target, '°C')}?`,
      `Brine setpoint ${formatValue(target, '°C')} sent`,
      () => writeMetric(group, node, 'BrineTank', 'Setpoint/Temperature', target),
    );
  });
  let setpointEdited = false;
  setpointInput.addEventListener('input', () => {
    setpointEdited = true;
    setpointInput.setCustomValidity('');
  });

  const agitator = el('input', {
    type: 'checkbox', role: 'switch', id: idFor('agitator', group, node), 'data-command': 'agitator',
  });
  agitator.addEventListener('change', () => {
    const on = agitator.checked;
    agitator.checked = !on;
    confirmAndRun(
      `Turn the brine agitator of ${group}/${node} ${on ? 'on' : 'off'}?`,
      `Agitator ${on ? 'on' : 'off'} sent`,
      () => writeMetric(group, node, 'BrineTank', 'AgitatorOn', on),
    );
  });
  const rebirth = el('button', { type: 'button', text: 'Request rebirth' });
  rebirth.addEventListener('click', () => requestRebirth(group, node));

  const card = el('article', { class: 'plant', 'aria-labelledby': title, 'data-node': `${group}/${node}` },
    el('h2', { id: title }, `${group}/${node} `, state),
    el('dl', { class: 'kpis' }, Object.values(kpis)),
    el('div', { class: 'scroll' }, compressorTable),
    el('div', { class: 'commands' },
      setpointForm,
      el('div', { class: 'command' }, agitator, el('label', { for: agitator.id, text: 'Brine agitator on' })),
      rebirth));

  function update() {
    const row = model.nodes.get(`${group}/${node}`);
    state.textContent = row?.online ? 'Online' : 'Offline';
    state.className = `badge ${row?.online ? 'online' : 'offline'}`;

    const sp = v('BrineTank', 'Setpoint/Temperature');
    const brine = v('BrineTank', 'Temperature');
    setCell(kpis.brine, formatValue(brine, unit(group, node, 'BrineTank', 'Temperature') || '°C'),
      high(brine, limits?.brine_high_above_setpoint_k, typeof sp === 'number' ? sp : limits?.default_brine_setpoint_c),
      '', bad('BrineTank', 'Temperature'));
    kpis.brine.querySelector('.sub').textContent = `setpoint ${formatValue(sp, '°C')}`;
    if (!setpointEdited && document.activeElement !== setpointInput && typeof sp === 'number') {
      setpointInput.value = String(sp);
    }

    let running = 0;
    let enabled = 0;
    let tripped = 0;
    let loadSum = 0;
    const suctions = [];
    const discharges = [];
    for (const c of compressors) {
      const cells = rows.get(c);
      const isRunning = v(c, 'Running') === true;
      const isTripped = v(c, 'Tripped') === true;
      const isEnabled = v(c, 'Enabled') === true;
      const load = v(c, 'Capacity');
      const suction = v(c, 'SuctionPressure');
      const discharge = v(c, 'DischargePressure');
      const temp = v(c, 'DischargeTemperature');
      if (isRunning) {
        running += 1;
        if (typeof load === 'number') loadSum += load;
        if (typeof suction === 'number') suctions.push(suction);
      }
      if (typeof discharge === 'number') discharges.push(discharge);
      if (isEnabled) enabled += 1;
      if (isTripped) tripped += 1;
      cells.toggle.checked = isEnabled;
      setCell(cells.state, isTripped ? 'Tripped' : isRunning ? 'Running' : isEnabled ? 'Standby' : 'Disabled',
        isTripped ? 'alarm' : 'ok', isTripped ? 'TRIP' : ' ');
      setCell(cells.load, isRunning ? formatValue(load, '%') : '—');
      setCell(cells.suction, formatValue(suction, unit(group, node, ...where(c, 'SuctionPressure'))),
        isRunning ? low(suction, limits?.low_suction_bar) : 'ok', '', bad(c, 'SuctionPressure'));
      setCell(cells.discharge, formatValue(discharge, unit(group, node, ...where(c, 'DischargePressure'))),
        high(discharge, limits?.condenser_high_pressure_bar), '', bad(c, 'DischargePressure'));
      setCell(cells.temp, formatValue(temp, '°C'), high(temp, limits?.discharge_temperature_c), '',
        bad(c, 'DischargeTemperature'));
    }
    setCell(kpis.running, `${running} / ${compressors.length}`, tripped ? 'alarm' : 'ok',
      tripped ? `${tripped} tripped` : '');
    kpis.running.querySelector('.sub').textContent =
      `${enabled} enabled, load ${running ? formatValue(loadSum / running, '%') : '—'}`;
    const minSuction = suctions.length ? Math.min(...suctions) : undefined;
    setCell(kpis.suction, formatValue(minSuction, 'bar(a)'), low(minSuction, limits?.low_suction_bar));
    kpis.suction.querySelector('.sub').textContent = 'lowest running compressor';
    const maxDischarge = discharges.length ? Math.max(...discharges) : undefined;
    setCell(kpis.discharge, formatValue(maxDischarge, 'bar(a)'),
      high(maxDischarge, limits?.condenser_high_pressure_bar));
    kpis.discharge.querySelector('.sub').textContent =
      `condensing ${formatValue(v('Condenser', 'CondensingPressure'), 'bar(a)')}`;

    const ppms = detectors.map((d) => v(d, 'Concentration')).filter((x) => typeof x === 'number');
    const ppm = ppms.length ? Math.max(...ppms) : undefined;
    let ammoniaLevel = high(ppm, limits?.ammonia_alarm_ppm);
    let note = '';
    if (typeof ppm === 'number' && limits) {
      if (ppm > limits.ammonia_emergency_ppm.raise) note = 'EMERGENCY VENT';
      else if (ppm > limits.ammonia_shutoff_ppm.raise) note = 'LIQUID SHUT-OFF';
      if (note) ammoniaLevel = 'alarm';
    }
    setCell(kpis.ammonia, formatValue(ppm, 'ppm'), ammoniaLevel, note,
      detectors.some((d) => bad(d, 'Concentration')));
    kpis.ammonia.querySelector('.sub').textContent = `highest of ${detectors.length} detectors`;

    const kw = v('PowerMeter', 'ActivePower');
    const volts = v('PowerMeter', 'Voltage');
    const voltLevel = low(volts, limits?.undervoltage_fraction, limits?.nominal_voltage_v ?? 230);
    setCell(kpis.power, formatValue(kw, 'kW'), voltLevel, voltLevel === 'alarm' ? 'UNDERVOLTAGE' : '',
      bad('PowerMeter', 'ActivePower'));
    kpis.power.querySelector('.sub').textContent = `${formatValue(volts, 'V')}, PF ${formatValue(v('PowerMeter', 'PowerFactor'))}`;

    const tonnes = v('CanGrid', 'TonnesHarvested');
    const start = dayStart.get(`${group}/${node}`);
    const today = typeof tonnes === 'number' && typeof start?.value === 'number' ? tonnes - start.value : undefined;
    setCell(kpis.ice, formatValue(today, 't'));
    kpis.ice.querySelector('.sub').textContent = `${formatValue(v('CanGrid', 'BlocksHarvested'))} blocks in all, ${formatValue(v('IceStore', 'Inventory'), 't')} in store`;
    if (!start || start.from !== new Date(model.latestMs).setHours(0, 0, 0, 0)) refreshDayStart(plant);

    const alarms = value(group, node, null, 'ActiveAlarms');
    setCell(kpis.alarms, formatValue(alarms), typeof alarms === 'number' && alarms > 0 ? 'alarm' : 'ok');
    kpis.alarms.querySelector('.sub').textContent = `plant time ${formatTime(model.latestMs)}`;

    agitator.checked = v('BrineTank', 'AgitatorOn') === true;
  }
  return { card, update };
}

function nodesTable() {
  const body = el('tbody');
  const nodes = [...model.nodes.values()].sort((a, b) =>
    `${a.group}/${a.node}`.localeCompare(`${b.group}/${b.node}`));
  for (const n of nodes) {
    const rebirth = el('button', { type: 'button', class: 'small', text: 'Rebirth',
      'aria-label': `Request a rebirth of ${n.group}/${n.node}` });
    rebirth.addEventListener('click', () => requestRebirth(n.group, n.node));
    body.append(el('tr', { class: 'node' },
      el('th', { scope: 'row', text: sourceName(n.group, n.node) }),
      el('td', { class: n.online ? 'online' : 'offline' }, el('span', { class: `badge ${n.online ? 'online' : 'offline'}`, text: n.online ? 'Online' : 'Offline' })),
      el('td', { text: formatTime(n.last_birth_ms) }),
      el('td', { text: formatTime(n.last_death_ms) }),
      el('td', { class: 'num', text: n.births }),
      el('td', { class: 'num', text: n.deaths }),
      el('td', { class: 'num', text: n.seq_gaps ?? '' }),
      el('td', {}, rebirth)));
    const devices = [...model.devices.values()]
      .filter((d) => d.group === n.group && d.node === n.node)
      .sort((a, b) => a.device.localeCompare(b.device, undefined, { numeric: true }));
    for (const d of devices) {
      body.append(el('tr', { class: 'device' },
        el('th', { scope: 'row' }, el('span', { class: 'indent', 'aria-hidden': 'true', text: '└ ' }), d.device),
        el('td', {}, el('span', { class: `badge ${d.online ? 'online' : 'offline'}`, text: d.online ? 'Online' : 'Offline' })),
        el('td', { text: formatTime(d.last_birth_ms) }),
        el('td', { text: formatTime(d.last_death_ms) }),
        el('td', { class: 'num', text: d.births }),
        el('td', { class: 'num', text: d.deaths }),
        el('td', {}),
        el('td', {})));
    }
  }
  return el('table', { id: 'nodes-table' },
    el('caption', { text: 'Edge nodes and their devices' }),
    el('thead', {}, el('tr', {},
      ...['Node / device', 'State', 'Last birth', 'Last death', 'Births', 'Deaths', 'Seq gaps', 'Command'].map(
        (h) => el('th', { scope: 'col', text: h })))),
    body);
}

function render() {
  scheduled = false;
  const list = plants();
  // Template instances count as structure too: they appear with the node's metrics.
  const shape = list.map((p) =>
    `${p.group}/${p.node}:${p.devices.join(',')}:${instances(p.group, p.node, 'Compressor').sort().join(',')}`,
  ).join(';');
  if (shape !== structure) {
    structure = shape;
    cards.clear();
    root.plants.replaceChildren(...list.map((p) => {
      const { card, update } = plantCard(p);
      cards.set(`${p.group}/${p.node}`, update);
      return card;
    }));
    if (!list.length) root.plants.append(el('p', { class: 'empty', text: 'No ice plant has been born yet.' }));
  }
  for (const update of cards.values()) update();
  // The table changes only with births, deaths and gaps: rebuilt then, not on every value.
  const rows = [...model.nodes.values(), ...model.devices.values()]
    .map((r) => [r.group, r.node, r.device, r.online, r.last_birth_ms, r.last_death_ms, r.births, r.deaths, r.seq_gaps].join(','))
    .sort()
    .join(';');
  if (rows !== tableShape) {
    tableShape = rows;
    root.nodes.replaceChildren(nodesTable());
  }
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  // At most a few renders a second however fast the stream runs.
  setTimeout(() => requestAnimationFrame(render), 250);
}

/** Sets the overview up in its two containers. */
export function initOverview(plantsContainer, nodesContainer, alarmLimits) {
  root.plants = plantsContainer;
  root.nodes = nodesContainer;
  limits = alarmLimits;
  subscribe(schedule);
}
