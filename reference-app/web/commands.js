// Commands: every one is confirmed in a dialog first, then sent through the API; the result
// shows in the status toast, and its effect arrives with the live values.

import { ApiFailure, post } from './api.js';

let dialog;
let toastBox;

/** Shows a short message in the page's live region (`error` for failures). */
export function toast(text, kind = 'info') {
  if (!toastBox) return;
  toastBox.textContent = text;
  toastBox.className = `toast ${kind}`;
  toastBox.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    toastBox.hidden = true;
  }, kind === 'error' ? 12000 : 6000);
}

/** Asks `question` in the confirmation dialog; resolves true when confirmed. */
export function confirm(question) {
  return new Promise((resolve) => {
    dialog.querySelector('.question').textContent = question;
    const done = () => {
      dialog.removeEventListener('close', done);
      resolve(dialog.returnValue === 'confirm');
    };
    dialog.returnValue = '';
    dialog.addEventListener('close', done);
    dialog.showModal();
    dialog.querySelector('button[value="cancel"]').focus();
  });
}

/** Confirms, runs `action`, and reports `success` or the API's error. */
export async function confirmAndRun(question, success, action) {
  if (!(await confirm(question))) {
    toast('Cancelled.');
    return false;
  }
  try {
    await action();
    toast(`${success}.`, 'ok');
    return true;
  } catch (error) {
    const text = error instanceof ApiFailure
      ? `${error.message} (HTTP ${error.status}${error.status === 401 ? ': enter the API token above' : ''})`
      : `The command could not be sent: ${error.message}`;
    toast(text, 'error');
    return false;
  }
}

/** NCMD Node Control/Rebirth, after confirmation. */
export function requestRebirth(group, node) {
  return confirmAndRun(
    `Request a rebirth of ${group}/${node}? It will publish its NBIRTH and DBIRTHs again.`,
    `Rebirth of ${group}/${node} requested`,
    () => post(['nodes', group, node, 'rebirth']),
  );
}

/** DCMD writing `value` to a device metric (typed by its birth on the server). */
export function writeMetric(group, node, device, metric, value) {
  return post(['nodes', group, node, 'devices', device, 'write'], { metric, value });
}

/** NCMD writing `value` to a node metric, or to a template member by its path (`Compressor1/Enabled`). */
export function writeNodeMetric(group, node, metric, value) {
  return post(['nodes', group, node, 'write'], { metric, value });
}

/** Binds the dialog and the toast of the page. */
export function initCommands(dialogElement, toastElement) {
  dialog = dialogElement;
  toastBox = toastElement;
}
