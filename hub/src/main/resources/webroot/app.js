// Herald admin page: plain JavaScript against the HTTP API and the WebSocket (docs/http-api.md,
// docs/protocol.md). The token lives in sessionStorage only, never in the page's URL.
'use strict';

const $ = (sel) => document.querySelector(sel);
// The client table shows one page at a time: a namespace may have many thousands of clients.
const CLIENT_PAGE = 100;
const state = { token: sessionStorage.getItem('herald.token'), ns: null, head: 0, entries: {}, ws: null, pendingEdit: null,
  clientsAfter: '', clientsNext: null, clientsPage: 0, lastRollout: null };

const MESSAGES = {
  unauthorized: 'That token was not accepted. Sign in again.',
  version_conflict: 'Someone committed a newer version in the meantime.',
  invalid_namespace: 'Namespace names use lower-case letters, digits, dots, dashes and underscores.',
  invalid_key: 'Keys use letters, digits, dots, slashes, dashes and underscores.',
  invalid_json: 'That is not valid JSON.',
  value_too_large: 'That value is larger than 64 KiB.',
  payload_too_large: 'That change is larger than 1 MiB.',
  database_unavailable: 'The database is not answering right now. Try again in a moment.',
  schema_violation: 'The namespace would violate its schema; nothing was committed.',
  rollout_in_progress: 'A rollout of this namespace is not finished: promote it to all or abort it before committing.',
  invalid_rollout: 'That rollout plan is not valid.',
  rollout_finished: 'That rollout is already finished.',
};

// Plans the editor offers besides the namespace policy and a plan of one's own.
const PLANS = {
  canary: { steps: [{ selector: { ring: 'canary' } }, { percent: 100 }], on_reject: 'halt' },
  percent: { steps: [{ percent: 1 }, { percent: 10 }, { percent: 100 }], on_reject: 'halt' },
};

function say(text, isError) {
  const s = $('#status');
  s.textContent = text || '';
  s.className = isError ? 'error' : '';
}

function explain(err) {
  return MESSAGES[err.error] || err.message || 'Something went wrong.';
}

async function api(method, path, body, headers) {
  const init = { method, headers: Object.assign({ Authorization: 'Bearer ' + state.token }, headers || {}) };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (!init.headers['Content-Type']) init.headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw { error: 'network', message: 'The hub cannot be reached.' };
  }
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    if (res.status === 401) {
      signOut();
    }
    throw Object.assign({ status: res.status }, data || { error: 'http_' + res.status, message: res.statusText });
  }
  return data;
}

function show(view) {
  $('#sign-in-view').hidden = view !== 'sign-in';
  $('#app-view').hidden = view !== 'app';
  $('#sign-out').hidden = view !== 'app';
}

function signOut() {
  sessionStorage.removeItem('herald.token');
  state.token = null;
  if (state.ws) {
    state.ws.onclose = null;
    state.ws.close();
    state.ws = null;
  }
  show('sign-in');
}

$('#sign-in').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  state.token = $('#token').value.trim();
  try {
    await api('GET', '/v1/namespaces');
    sessionStorage.setItem('herald.token', state.token);
    $('#token').value = '';
    say('');
    start();
  } catch (e) {
    state.token = null;
    say(e.error === 'unauthorized' ? MESSAGES.unauthorized : explain(e), true);
  }
});

$('#sign-out').addEventListener('click', signOut);
$('#client-next').addEventListener('click', () => clientPage(true));
$('#client-first').addEventListener('click', () => clientPage(false));

async function start() {
  show('app');
  connect();
  await loadNamespaces();
}

// ---- WebSocket: live rollout of the selected namespace's head ----

function connect() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(proto + '//' + location.host + '/v1/ws?access_token=' + encodeURIComponent(state.token));
  state.ws = ws;
  ws.onopen = () => { if (state.ns) watch(state.ns); };
  ws.onmessage = (ev) => {
    const f = JSON.parse(ev.data);
    if (f.type === 'rollout' && f.namespace === state.ns) {
      showRollout(f);
      refreshProgressive(); // acks landed: the steps fill
      if (f.version !== state.head) {
        loadNamespace(state.ns, true); // someone committed: show the new head
      }
    }
  };
  ws.onclose = () => { if (state.token) setTimeout(connect, 1000); };
}

function watch(ns) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify({ type: 'watch_rollout', namespace: ns }));
  }
}

function unwatch(ns) {
  if (ns && state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify({ type: 'unwatch_rollout', namespace: ns }));
  }
}

async function showRollout(r) {
  const total = r.applied + r.rejected + r.pending;
  const pct = (n) => (total === 0 ? 0 : Math.round((100 * n) / total));
  const bar = $('#rollout-bar');
  bar.querySelector('.applied').style.width = pct(r.applied) + '%';
  bar.querySelector('.rejected').style.width = pct(r.rejected) + '%';
  bar.querySelector('.pending').style.width = pct(r.pending) + '%';
  bar.setAttribute('aria-valuenow', String(pct(r.applied)));
  $('#rollout-text').textContent = total === 0
    ? 'Version ' + r.version + ': no connected client yet.'
    : 'Version ' + r.version + ': ' + pct(r.applied) + '% applied (' + r.applied + ' applied, ' + r.rejected
      + ' rejected, ' + r.pending + ' pending' + (r.disconnected ? ', ' + r.disconnected + ' disconnected' : '') + ').';
  state.lastRollout = r;
  await showClients(r);
}

async function showClients(r) {
  try {
    const clients = await api('GET', '/v1/namespaces/' + r.namespace + '/clients?limit=' + CLIENT_PAGE
      + '&after=' + encodeURIComponent(state.clientsAfter));
    const body = $('#client-table tbody');
    body.replaceChildren(...clients.clients.map((c) => row([
      c.client_id, c.node, Object.entries(c.labels).map(([k, v]) => k + '=' + v).join(', '),
      String(c.applied_version), c.status, c.error || '',
      // HTTP clients hold no connection: they are live until stale.
      c.transport === 'http' ? (c.stale ? 'http, stale' : 'http') : (c.connected ? 'yes' : 'no')])));
    state.clientsNext = clients.next_after;
    const all = r.applied + r.rejected + r.pending + (r.disconnected || 0);
    const first = state.clientsPage * CLIENT_PAGE;
    $('#client-pager').hidden = state.clientsPage === 0 && !clients.next_after;
    $('#client-page-text').textContent = 'Clients ' + (clients.clients.length ? first + 1 : 0) + '–'
      + (first + clients.clients.length) + ' of ' + all + '.';
    $('#client-next').disabled = !clients.next_after;
    $('#client-first').disabled = state.clientsPage === 0;
  } catch (e) {
    say(explain(e), true);
  }
}

function clientPage(next) {
  if (next && state.clientsNext) {
    state.clientsAfter = state.clientsNext;
    state.clientsPage++;
  } else if (!next) {
    state.clientsAfter = '';
    state.clientsPage = 0;
  }
  if (state.lastRollout) showClients(state.lastRollout);
}

// ---- progressive rollouts: the current one of the namespace, its steps, and the operator's actions ----

function stepName(s) {
  const sel = s.selector ? Object.entries(s.selector).map(([k, v]) => k + '=' + v).join(', ') : '';
  const pct = s.percent !== undefined ? s.percent + ' %' + (sel ? ' of ' : '') : '';
  return (pct + sel) || 'all';
}

async function refreshProgressive() {
  const ns = state.ns;
  if (!ns || state.progressiveBusy) {
    state.progressiveAgain = true;
    return;
  }
  state.progressiveBusy = true;
  try {
    const [list, policy] = await Promise.all([api('GET', '/v1/namespaces/' + ns + '/rollouts?limit=50'),
      api('GET', '/v1/namespaces/' + ns + '/rollout-policy').catch((e) => (e.error === 'no_rollout_policy' ? null : Promise.reject(e)))]);
    if (ns !== state.ns) return;
    state.rollouts = Object.fromEntries(list.rollouts.map((r) => [r.version, r]));
    $('#policy-text').textContent = policy
      ? 'Policy: ' + policy.plan.steps.map(stepName).join(' → ') + ', bake ' + policy.plan.bake + ', on reject '
        + policy.plan.on_reject + '.'
      : 'No rollout policy: changes go to every client at once unless you choose a plan.';
    const latest = list.rollouts[0];
    // The newest rollout while it runs, and after it until the next write (a rollback revision is its own).
    const current = latest && (['active', 'paused', 'halted'].includes(latest.state) || latest.version === state.head
      || (latest.state === 'rolled_back' && latest.version === state.head - 1))
      ? await api('GET', '/v1/namespaces/' + ns + '/rollouts/' + latest.version) : null;
    showProgressive(current);
    markHistory();
    // Bake times and step timeouts move a rollout without any ack: look again while it runs.
    clearTimeout(state.progressiveTimer);
    if (current && ['active', 'paused'].includes(current.state)) {
      state.progressiveTimer = setTimeout(refreshProgressive, 2000);
    }
  } catch (e) {
    say(explain(e), true);
  } finally {
    state.progressiveBusy = false;
    if (state.progressiveAgain) {
      state.progressiveAgain = false;
      setTimeout(refreshProgressive, 200);
    }
  }
}

function showProgressive(r) {
  state.progressive = r;
  $('#progressive-current').hidden = !r;
  if (!r) return;
  const unfinished = ['active', 'paused', 'halted'].includes(r.state);
  $('#progressive-text').textContent = 'Version ' + r.version + ' (stable ' + r.stable + '): ' + r.state
    + (unfinished ? ', step ' + (r.step + 1) + ' of ' + r.steps.length : '') + '. Started by ' + r.created_by + '.';
  const reasons = (r.halt ? r.halt.rejections : r.rejections) || [];
  $('#halt-text').textContent = reasons.length
    ? 'Halted: ' + reasons.map((x) => x.client_id + ' rejected it: ' + x.error).join('; ')
    : (r.state === 'paused' ? 'Paused: ' + ((r.transitions.at(-1).detail || {}).reason || '') : '');
  const rows = r.steps.map((s) => row(['Step ' + (s.index + 1), stepName(s), s.released ? 'yes' : 'no',
    String(s.applied), String(s.rejected), String(s.pending), String(s.held)]));
  const o = r.others;
  if (o.applied + o.rejected + o.pending + o.held + o.disconnected > 0) {
    rows.push(row(['Others', 'in no step', o.released ? 'yes' : 'at completion', String(o.applied), String(o.rejected),
      String(o.pending), String(o.held)]));
  }
  $('#steps-table tbody').replaceChildren(...rows);
  $('#rollout-promote').disabled = !['active', 'paused'].includes(r.state);
  $('#rollout-promote-all').disabled = !unfinished;
  $('#rollout-pause').disabled = r.state !== 'active';
  $('#rollout-resume').disabled = r.state !== 'paused';
  $('#rollout-abort').disabled = !unfinished;
}

async function rolloutAction(action, body, question) {
  const r = state.progressive;
  if (!r || !confirm(question.replace('{v}', r.version))) return;
  try {
    const after = await api('POST', '/v1/namespaces/' + state.ns + '/rollouts/' + r.version + '/' + action, body);
    say('Rollout of version ' + r.version + ': ' + after.state + '.');
    showProgressive(after);
    await loadNamespace(state.ns, true);
  } catch (e) {
    say(explain(e), true);
  }
}

$('#rollout-promote').addEventListener('click', () => rolloutAction('promote', undefined,
  'Release version {v} to the next step now, without waiting for its gate?'));
$('#rollout-promote-all').addEventListener('click', () => rolloutAction('promote', { to: 'all' },
  'Release version {v} to every client now?'));
$('#rollout-pause').addEventListener('click', () => rolloutAction('pause', undefined, 'Pause the rollout of version {v}?'));
$('#rollout-resume').addEventListener('click', () => rolloutAction('resume', undefined, 'Resume the rollout of version {v}?'));
$('#rollout-abort').addEventListener('click', () => rolloutAction('abort', undefined,
  'Abort the rollout of version {v}? Every client goes back to the stable version (a rollback revision).'));
$('#edit-rollout').addEventListener('change', () => { $('#edit-plan').hidden = $('#edit-rollout').value !== 'custom'; });

/** The X-Herald-Rollout header of the editor's choice, or null for the policy. */
function chosenPlan() {
  const choice = $('#edit-rollout').value;
  if (choice === 'policy') return null;
  if (choice === 'all') return 'all';
  if (choice === 'custom') return $('#edit-plan').value.replace(/\s*\n\s*/g, ' ');
  return JSON.stringify(PLANS[choice]);
}

/** Marks history rows of versions whose rollout halted or was rolled back. */
function markHistory() {
  for (const tr of $('#history-table tbody').children) {
    const r = (state.rollouts || {})[Number(tr.dataset.version)];
    const cell = tr.children[1];
    cell.querySelector('.mark')?.remove();
    if (r && ['halted', 'rolled_back', 'paused', 'active'].includes(r.state)) {
      const m = document.createElement('span');
      m.className = 'mark';
      m.textContent = ' · ' + { halted: 'rejected, halted', rolled_back: 'rolled back', paused: 'rollout paused',
        active: 'rolling out' }[r.state];
      cell.appendChild(m);
    }
  }
}

// ---- namespaces, entries, history ----

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.appendChild(c); else td.textContent = c;
    tr.appendChild(td);
  }
  return tr;
}

function button(text, label, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
}

async function loadNamespaces() {
  try {
    const data = await api('GET', '/v1/namespaces');
    $('#namespace-list').replaceChildren(...data.namespaces.map((n) => {
      const li = document.createElement('li');
      const b = button(n.name + ' · v' + n.head + ' · ' + n.connected_clients + ' connected', 'Open namespace ' + n.name,
        () => loadNamespace(n.name));
      b.dataset.ns = n.name;
      if (n.name === state.ns) b.setAttribute('aria-current', 'true');
      li.appendChild(b);
      return li;
    }));
  } catch (e) {
    say(explain(e), true);
  }
}

async function loadNamespace(ns, keepEditor) {
  if (state.ns !== ns) {
    unwatch(state.ns);
    state.ns = ns;
    state.clientsAfter = '';
    state.clientsPage = 0;
    state.lastRollout = null;
    watch(ns);
  }
  try {
    const [snap, history] = await Promise.all([
      api('GET', '/v1/namespaces/' + ns), api('GET', '/v1/namespaces/' + ns + '/revisions?limit=50')
        .catch((e) => (e.error === 'namespace_not_found' ? { revisions: [] } : Promise.reject(e)))]);
    state.head = snap.version;
    state.entries = snap.entries;
    $('#detail').hidden = false;
    $('#detail-title').textContent = ns;
    $('#detail-version').textContent = 'Version ' + snap.version + (snap.rollout
      ? ' — rolling out (' + snap.rollout.state + '): clients outside the released steps run version ' + snap.rollout.stable
      : '');
    $('#entries-table tbody').replaceChildren(...Object.entries(snap.entries).map(([k, v]) => {
      const tr = row([k, code(JSON.stringify(v)), button('Edit', 'Edit ' + k, () => edit(k))]);
      tr.dataset.key = k;
      return tr;
    }));
    $('#history-table tbody').replaceChildren(...history.revisions.map((r) => {
      const tr = row([
        String(r.version), r.kind + (r.rollback_to ? ' to v' + r.rollback_to : ''), r.author,
        new Date(r.created_at).toLocaleString(), r.message,
        r.version === snap.version ? '' : button('Roll back to v' + r.version, 'Roll back to version ' + r.version,
          () => rollback(r.version))]);
      tr.dataset.version = String(r.version);
      return tr;
    }));
    refreshProgressive();
    $('#diff-to').value = snap.version;
    $('#diff-from').value = Math.max(0, snap.version - 1);
    if (!keepEditor) {
      $('#conflict').hidden = true;
      $('#preview').hidden = true;
    }
    await Promise.all([loadNamespaces(), loadSchema(ns)]);
  } catch (e) {
    say(explain(e), true);
  }
}

function code(text) {
  const c = document.createElement('code');
  c.textContent = text;
  return c;
}

function edit(key) {
  state.editBase = state.head; // a commit based on this version; a newer head means a conflict
  $('#edit-key').value = key;
  $('#edit-value').value = JSON.stringify(state.entries[key], null, 2);
  $('#edit-error').textContent = '';
  $('#edit-value').focus();
}

// ---- dry runs: every edit and import is previewed (diff, schema verdict) before it is committed ----

// The key a violation's JSON pointer names: its first segment, unescaped (RFC 6901).
function keyOf(pointer) {
  const first = (pointer || '').split('/')[1];
  return first === undefined ? '' : first.replace(/~1/g, '/').replace(/~0/g, '~');
}

function showErrors(list, errors) {
  list.replaceChildren(...(errors || []).map((v) => {
    const li = document.createElement('li');
    li.textContent = (v.pointer ? keyOf(v.pointer) + ' (' + v.pointer + '): ' : '') + v.message;
    return li;
  }));
}

// Marks the entries' rows that a violation names, with its message under the key.
function markInvalid(errors) {
  for (const tr of document.querySelectorAll('#entries-table tbody tr')) {
    const mine = (errors || []).filter((v) => keyOf(v.pointer) === tr.dataset.key);
    tr.classList.toggle('invalid', mine.length > 0);
    tr.querySelectorAll('.row-error').forEach((el) => el.remove());
    if (mine.length) {
      const note = document.createElement('div');
      note.className = 'row-error error';
      note.textContent = mine.map((v) => v.message).join('; ');
      tr.firstChild.appendChild(note);
    }
  }
}

// Runs the request as a dry run and shows its prediction; `run` commits it for real when confirmed.
async function preview(title, request, run) {
  $('#conflict').hidden = true;
  let p;
  try {
    p = await request(true);
  } catch (e) {
    if (e.error !== 'schema_violation' || !e.dry_run) throw e;
    p = e;
  }
  const fmt = (c, side) => (side in c ? JSON.stringify(c[side]) : '');
  $('#preview-title').textContent = title;
  $('#preview-table tbody').replaceChildren(...(p.diff || []).map((c) => row([c.key, c.change, fmt(c, 'old_value'), fmt(c, 'value')])));
  const changed = p.changed === false ? 'It changes nothing; no version would be written.'
    : 'It would become version ' + p.version + ' (' + (p.diff || []).length
      + ((p.diff || []).length === 1 ? ' key changes).' : ' keys change).');
  $('#preview-text').textContent = p.valid ? changed : 'Refused by the schema (version ' + p.schema_version
    + '): fix the values marked below. ' + changed;
  showErrors($('#preview-errors'), p.errors);
  markInvalid(p.errors);
  $('#preview-confirm').hidden = !p.valid || p.changed === false;
  $('#preview').hidden = false;
  state.pendingRun = run;
  $('#edit-error').textContent = '';
  if (!p.valid) {
    $('#edit-error').textContent = p.errors.map((v) => keyOf(v.pointer) + ': ' + v.message).join('; ');
    say(MESSAGES.schema_violation, true);
  } else {
    say('Previewed: confirm to commit.');
  }
}

$('#preview-confirm').addEventListener('click', async () => {
  const run = state.pendingRun;
  state.pendingRun = null;
  $('#preview').hidden = true;
  if (run) await run();
});
$('#preview-cancel').addEventListener('click', () => {
  state.pendingRun = null;
  $('#preview').hidden = true;
  markInvalid([]);
  say('');
});

async function commit(key, valueText, message, ifMatch) {
  const path = '/v1/namespaces/' + state.ns + '/entries/' + key;
  const headers = { 'If-Match': '"' + ifMatch + '"', 'X-Herald-Message': message };
  const plan = chosenPlan();
  if (plan) headers['X-Herald-Rollout'] = plan;
  try {
    await preview('Commit ' + key, () => api('PUT', path + '?dry_run=true', valueText, headers), async () => {
      try {
        const r = await api('PUT', path, valueText, headers);
        say('Committed version ' + r.version + (r.rollout ? ': rolling out, step 1 of ' + r.rollout.plan.steps.length : '')
          + '.');
        await loadNamespace(state.ns);
      } catch (e) {
        failed(e, key, valueText, message, ifMatch);
      }
    });
  } catch (e) {
    failed(e, key, valueText, message, ifMatch);
  }
}

function failed(e, key, valueText, message, ifMatch) {
  if (e.error === 'version_conflict') {
    state.pendingEdit = { key, valueText, message, head: e.head };
    $('#conflict-text').textContent = 'Version ' + e.head + ' was committed while you edited (you started from version '
      + ifMatch + '). Reload it, or commit your value on top of it.';
    $('#conflict').hidden = false;
    say(MESSAGES.version_conflict, true);
  } else {
    if (e.errors) markInvalid(e.errors);
    say(explain(e), true);
  }
}

// ---- import a file ----

function fileType(name) {
  if (/\.properties$/i.test(name)) return 'text/x-java-properties';
  if (/\.ya?ml$/i.test(name)) return 'application/yaml';
  if (/\.json$/i.test(name)) return 'application/json';
  return null;
}

$('#import-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const file = $('#import-file').files[0];
  if (!file) return;
  const type = fileType(file.name);
  if (!type) {
    say('Import a .properties, .yaml, .yml or .json file.', true);
    return;
  }
  const text = await file.text();
  const path = '/v1/namespaces/' + state.ns;
  const headers = { 'Content-Type': type, 'If-Match': '"' + state.head + '"', 'X-Herald-Message': 'import ' + file.name };
  try {
    await preview('Import ' + file.name, () => api('PUT', path + '?dry_run=true', text, headers), async () => {
      try {
        const r = await api('PUT', path, text, headers);
        say('Imported ' + file.name + ': version ' + r.version + '.');
        await loadNamespace(state.ns);
      } catch (e) {
        say(explain(e), true);
      }
    });
  } catch (e) {
    say(explain(e) + (e.line ? ' (line ' + e.line + ', column ' + e.column + ')' : ''), true);
  }
});

// ---- schema ----

async function loadSchema(ns) {
  let current = null;
  try {
    current = await api('GET', '/v1/namespaces/' + ns + '/schema');
  } catch (e) {
    if (e.error !== 'schema_not_found') throw e;
  }
  const history = await api('GET', '/v1/namespaces/' + ns + '/schema/history');
  $('#schema-version').textContent = current ? 'Schema version ' + current.version + ', set by ' + current.author
    + ' at namespace version ' + current.at_head + '.' : 'No schema: any value is accepted.';
  $('#schema-text').textContent = current ? JSON.stringify(current.schema, null, 2) : '';
  $('#schema-text').hidden = !current;
  if (document.activeElement !== $('#schema-edit') && !$('#schema-edit').dataset.dirty) {
    $('#schema-edit').value = current ? JSON.stringify(current.schema, null, 2) : '';
  }
  $('#schema-history tbody').replaceChildren(...history.changes.map((c) => row([String(c.version), String(c.at_head),
    c.author, new Date(c.created_at).toLocaleString(),
    (c.removed ? 'removed' : c.allow_invalid_head ? 'set although the entries violated it ('
      + c.head_violations.length + ')' : 'set') + (c.message ? ': ' + c.message : '')])));
}

$('#schema-edit').addEventListener('input', () => { $('#schema-edit').dataset.dirty = '1'; });

$('#schema-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  let schema;
  try {
    schema = JSON.parse($('#schema-edit').value);
  } catch (e) {
    $('#schema-errors').replaceChildren();
    say('The schema is not valid JSON: ' + e.message, true);
    return;
  }
  try {
    const r = await api('PUT', '/v1/namespaces/' + state.ns + '/schema',
      { schema, allow_invalid_head: $('#schema-allow-invalid').checked, message: 'set from the admin page' });
    delete $('#schema-edit').dataset.dirty;
    showErrors($('#schema-errors'), []);
    markInvalid([]);
    say('Schema version ' + r.version + ' is in force.');
    await loadSchema(state.ns);
  } catch (e) {
    showErrors($('#schema-errors'), e.errors);
    if (e.error === 'schema_violation') markInvalid(e.errors);
    say(e.error === 'schema_violation' ? 'The current entries violate this schema (marked above).' : explain(e), true);
  }
});

$('#editor').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const key = $('#edit-key').value.trim();
  const text = $('#edit-value').value;
  try {
    JSON.parse(text);
  } catch (e) {
    $('#edit-error').textContent = 'Not valid JSON: ' + e.message + '. Strings need double quotes, e.g. "on".';
    return;
  }
  $('#edit-error').textContent = '';
  await commit(key, text, $('#edit-message').value, state.editBase ?? state.head);
  state.editBase = null;
});

$('#conflict-reload').addEventListener('click', () => loadNamespace(state.ns));
$('#conflict-retry').addEventListener('click', () => {
  const p = state.pendingEdit;
  if (p) commit(p.key, p.valueText, p.message, p.head);
});

async function rollback(version) {
  if (!confirm('Roll ' + state.ns + ' back to version ' + version + '? This commits a new version with its values.')) {
    return;
  }
  try {
    const r = await api('POST', '/v1/namespaces/' + state.ns + '/rollback',
      { to_version: version, message: 'rollback to version ' + version + ' from the admin page' });
    say('Rolled back: version ' + r.version + ' restores version ' + version + '.');
    await loadNamespace(state.ns);
  } catch (e) {
    say(explain(e), true);
  }
}

$('#diff-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const d = await api('GET', '/v1/namespaces/' + state.ns + '/diff?from=' + $('#diff-from').value + '&to=' + $('#diff-to').value);
    const fmt = (c, side) => (side in c ? JSON.stringify(c[side]) : '');
    $('#diff-table tbody').replaceChildren(...d.changes.map((c) => row([c.key, c.change, fmt(c, 'old_value'), fmt(c, 'value')])));
    $('#diff-table').hidden = false;
  } catch (e) {
    say(explain(e), true);
  }
});

$('#create-namespace').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const ns = $('#new-ns').value.trim();
  let value;
  try {
    value = JSON.parse($('#new-ns-value').value);
  } catch (e) {
    say('The first value is not valid JSON.', true);
    return;
  }
  try {
    await api('POST', '/v1/namespaces/' + ns + '/revisions',
      { message: 'created from the admin page', changes: [{ key: $('#new-ns-key').value.trim(), op: 'put', value }] });
    say('Created ' + ns + '.');
    await loadNamespace(ns);
  } catch (e) {
    say(explain(e), true);
  }
});

if (state.token) {
  start();
} else {
  show('sign-in');
}
