// The dashboard's entry point: tabs, the API token, the live connection, and the views.

import { authMode, setToken, token } from './api.js';
import { initCommands, toast } from './commands.js';
import { follow, onProblem } from './live.js';
import { initOverview } from './overview.js';
import { initTables, showEvents, showReports } from './tables.js';
import { initTrends, showTrends } from './trends.js';

const SECTIONS = ['overview', 'trends', 'events', 'reports'];
const STATUS = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Connection lost, reconnecting…',
  unauthorized: 'The API needs a token: enter it above.',
  unavailable: 'No live data: no host application runs in this process.',
};

function showSection() {
  const wanted = location.hash.slice(1);
  const current = SECTIONS.includes(wanted) ? wanted : 'overview';
  for (const id of SECTIONS) {
    document.getElementById(id).hidden = id !== current;
    const tab = document.getElementById(`tab-${id}`);
    if (id === current) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  showTrends(current === 'trends');
  showEvents(current === 'events');
  showReports(current === 'reports');
}

async function limits() {
  try {
    const response = await fetch('/assets/limits.json');
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

async function main() {
  const connection = document.getElementById('connection');
  const setStatus = (status) => {
    connection.textContent = STATUS[status] || status;
    connection.className = `connection ${status}`;
    document.body.dataset.connection = status;
  };
  onProblem((message) => toast(message, 'error'));

  if (authMode !== 'none') {
    const form = document.getElementById('token-form');
    const input = document.getElementById('token');
    form.hidden = false;
    input.value = token();
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      setToken(input.value.trim());
      toast('Token saved for this tab.', 'ok');
    });
  }

  initCommands(document.getElementById('confirm'), document.getElementById('toast'));
  initOverview(document.getElementById('plants'), document.getElementById('nodes'), await limits());
  initTrends(document.getElementById('trends'));
  initTables(document.getElementById('events'), document.getElementById('reports'));
  window.addEventListener('hashchange', showSection);
  showSection();
  follow(setStatus);
}

main();
