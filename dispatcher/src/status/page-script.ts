/**
 * The status page's script (served as /status/app.js): fetch `/status/data` every second and redraw.
 * Plain DOM, no framework; every value goes in through textContent. A 401 (session ended) goes back
 * to the login form; a failed fetch marks the data stale and keeps the last picture.
 */
export const POLL_MS = 1_000;

export const STATUS_SCRIPT = `'use strict';
(function () {
  var POLL_MS = ${POLL_MS};
  function el(tag, attrs) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  function secs(s) {
    if (s === null || s === undefined) return '—';
    if (s < 60) return s.toFixed(1) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.round((s % 3600) / 60) + ' min';
  }
  function fill(id, rows) {
    var body = document.querySelector('#' + id + ' tbody');
    body.replaceChildren.apply(body, rows);
  }
  function render(v) {
    var t = v.totals;
    document.getElementById('totals').replaceChildren(
      ['hosts', 'slots', 'busy', 'booting', 'warm', 'free', 'suspect', 'draining'].reduce(function (frag, k) {
        frag.appendChild(el('span', {}, k + ' ', el('b', { 'data-total': k }, k === 'hosts' ? t.reachable + '/' + t.hosts : t[k])));
        return frag;
      }, document.createDocumentFragment())
    );
    document.getElementById('hosts').replaceChildren.apply(document.getElementById('hosts'), v.hosts.map(function (h) {
      var slots = el('div', { class: 'slots' });
      h.cells.forEach(function (state) { slots.appendChild(el('span', { class: 'cell ' + state, 'data-state': state }, state)); });
      return el('div', { class: 'host', 'data-host': h.id || h.url },
        el('h3', {}, h.id || h.url, h.draining ? ' (draining)' : ''),
        slots,
        h.error ? el('p', { class: 'error' }, h.error) : null,
        el('p', { class: 'muted' }, h.slots.busy + ' busy, ' + h.slots.booting + ' booting, ' + h.slots.warm + ' warm, ' + h.slots.free + ' free of ' + h.slots.total));
    }));
    fill('queue', v.queue.map(function (q) {
      return el('tr', { 'data-pool': q.pool }, el('td', {}, q.pool), el('td', { 'data-depth': '' }, q.depth), el('td', {}, secs(q.oldestWaitSeconds)));
    }));
    fill('runners', v.runners.map(function (r) {
      return el('tr', { 'data-runner': r.name }, el('td', {}, r.name), el('td', {}, r.host), el('td', {}, r.pool), el('td', {}, r.jobId === null ? '—' : r.jobId), el('td', { 'data-stage': '' }, r.stage), el('td', {}, secs(r.ageSeconds)));
    }));
    fill('jobs', v.recentJobs.map(function (j) {
      var from = j.latencyFrom === 'requested' ? ' (from runner request)' : '';
      return el('tr', { 'data-job': j.jobId }, el('td', {}, j.jobId), el('td', {}, j.pool), el('td', {}, j.runner || '—'), el('td', {}, new Date(j.startedAt).toLocaleTimeString()), el('td', {}, secs(j.startLatencySeconds) + from));
    }));
    var imageRows = [];
    v.images.forEach(function (p) {
      p.images.forEach(function (i) { imageRows.push(el('tr', { 'data-image-pool': p.pool }, el('td', {}, p.pool), el('td', {}, i.image), el('td', {}, i.hosts.join(', ')))); });
    });
    fill('images', imageRows);
    var gh = v.github;
    document.getElementById('github').textContent = 'GitHub: ' + (gh.registrations === null ? 'registrations unavailable (' + gh.error + ')' : gh.registrations + ' registrations of ours') + (gh.rateLimitRemaining === null ? '' : ', rate-limit budget ' + gh.rateLimitRemaining);
    var updated = document.getElementById('updated');
    updated.className = 'muted';
    updated.setAttribute('data-generated', v.generatedAt);
    updated.textContent = 'updated ' + new Date(v.generatedAt).toLocaleTimeString();
  }
  function tick() {
    fetch('/status/data', { cache: 'no-store', credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) {
        if (res.status === 401) { window.location.assign('/status'); return null; }
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (v) { if (v) render(v); })
      .catch(function (e) {
        var updated = document.getElementById('updated');
        updated.className = 'stale';
        updated.textContent = 'stale: ' + e.message;
      })
      .finally(function () { window.setTimeout(tick, POLL_MS); });
  }
  tick();
})();
`;
