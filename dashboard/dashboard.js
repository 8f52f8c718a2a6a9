/*
 * dashboard.js - the partner dashboard (docs/dashboard.md), served by
 * raia-api with index.html.
 *
 * It holds no data of its own: it takes the partner's token from the form
 * (or from the URL fragment #token=..., which never reaches a server log),
 * keeps it in sessionStorage for this tab only, and reads every number
 * through the API with it: /v1/flows, then per flow its codebook, timeline,
 * funnel and one table per question that has categories. The API has
 * already suppressed small cells; a suppressed cell arrives with count null
 * and is drawn as a hatched bar and written as "suppressed", never as a
 * number. Each chart (Chart.js, pinned in package-lock.json) has the same
 * numbers beside it as an HTML table. When a chart has been drawn its canvas
 * gets data-drawn="1" and data-painted (how many sampled pixels are not
 * blank), and the body gets data-state="ready" when every flow is done, or
 * "error"; tests/integration/dashboard_test.sh reads those.
 */
(function () {
  'use strict';

  const TOKEN_KEY = 'raia.token';
  const COLORS = {
    ussd: '#1f77b4', sms: '#e07b00', total: '#4f5d75', reached: '#6c8ebf',
    answered: '#2e7d32', category: '#3f6fb5', suppressed: '#8a8f98'
  };
  let minCell = 10;

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'class') e.className = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }

  function setStatus(text, isError) {
    const s = $('status');
    s.textContent = text;
    s.classList.toggle('error', !!isError);
  }

  // ---- the token: fragment or form, kept in sessionStorage ----

  function tokenFromFragment() {
    const m = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
    if (!m) return null;
    // drop it from the address bar and the history entry
    history.replaceState(null, '', window.location.pathname);
    return decodeURIComponent(m[1]);
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  // ---- the API ----

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /* GET path with the token; one wait and retry on 429 (Retry-After). */
  async function api(path) {
    for (let attempt = 0; ; attempt++) {
      const r = await fetch(path, {
        headers: { Authorization: 'Bearer ' + token(), Accept: 'application/json' },
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer'
      });
      if (r.status === 429 && attempt === 0) {
        const wait = Math.min(parseInt(r.headers.get('Retry-After') || '1', 10), 60);
        setStatus('Too many requests for this token: waiting ' + wait + ' s…');
        await sleep(wait * 1000);
        continue;
      }
      const body = await r.json().catch(() => null);
      if (!r.ok) {
        const msg = body && body.error ? body.error.message : 'HTTP ' + r.status;
        throw new ApiError(r.status, msg);
      }
      return body;
    }
  }

  // ---- cells: {count: N} or {count: null, suppressed: "primary"|"complementary"} ----

  const hidden = (cell) => !cell || cell.count === null || cell.count === undefined;

  function cellText(cell) {
    if (!hidden(cell)) return String(cell.count);
    return cell.suppressed === 'primary' ? 'suppressed (<' + minCell + ')' : 'suppressed';
  }

  function td(cell) {
    if (!hidden(cell)) return el('td', { 'data-count': cell.count }, cellText(cell));
    return el('td', {
      class: 'suppressed',
      'data-suppressed': cell.suppressed || 'unknown',
      title: 'Not published: a small count, or one that would reveal a small count'
    }, cellText(cell));
  }

  function table(id, caption, head, rows) {
    const thead = el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col' }, h))));
    const tbody = el('tbody', {}, ...rows);
    // a wide table scrolls inside its panel, reachable by keyboard
    return el('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': caption },
      el('table', { id }, el('caption', {}, caption), thead, tbody));
  }

  // ---- charts ----

  let hatch = null;
  function hatchPattern() {
    if (hatch) return hatch;
    const c = document.createElement('canvas');
    c.width = c.height = 8;
    const g = c.getContext('2d');
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, 8, 8);
    g.strokeStyle = COLORS.suppressed;
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(0, 8); g.lineTo(8, 0);
    g.moveTo(-2, 2); g.lineTo(2, -2);
    g.moveTo(6, 10); g.lineTo(10, 6);
    g.stroke();
    hatch = g.createPattern(c, 'repeat');
    return hatch;
  }

  /* After each drawing: mark the canvas, with how many sampled pixels are painted. */
  const drawnMarker = {
    id: 'raiaDrawn',
    afterRender(chart) {
      const cv = chart.canvas;
      const size = cv.width + 'x' + cv.height;
      if (cv.dataset.drawn === '1' && cv.dataset.size === size) return;
      cv.dataset.size = size;
      let painted = 0;
      try {
        const img = chart.ctx.getImageData(0, 0, cv.width, cv.height).data;
        for (let i = 3; i < img.length; i += 4 * 7) if (img[i] !== 0) painted++;
      } catch (e) {
        painted = -1;
      }
      cv.dataset.drawn = '1';
      cv.dataset.painted = String(painted);
    }
  };

  /*
   * A bar chart. series: [{label, color, values: [cell...]}]; a hidden
   * cell is drawn as a hatched bar as tall as the largest published bar
   * (a band, not a value) in its own dataset "suppressed".
   */
  function barChart(box, labels, series, opts) {
    const stacked = !!opts.stacked;
    let top = 0;
    const published = series.map((s) => s.values.map((c) => (hidden(c) ? null : c.count)));
    if (stacked) {
      labels.forEach((_, i) => {
        top = Math.max(top, published.reduce((sum, p) => sum + (p[i] || 0), 0));
      });
    } else {
      published.forEach((p) => p.forEach((v) => { top = Math.max(top, v || 0); }));
    }
    const band = Math.max(top, 1);
    const datasets = series.map((s, k) => ({
      label: s.label,
      data: published[k],
      backgroundColor: s.color,
      stack: stacked ? 'counts' : s.label
    }));
    const sup = labels.map((_, i) => {
      const anyHidden = stacked ? series.every((s) => hidden(s.values[i]))
        : series.some((s) => hidden(s.values[i]));
      return anyHidden ? band : null;
    });
    if (sup.some((v) => v !== null)) {
      datasets.push({
        label: 'suppressed (no number)',
        data: sup,
        backgroundColor: hatchPattern(),
        borderColor: COLORS.suppressed,
        borderWidth: 1,
        stack: stacked ? 'counts' : 'suppressed'
      });
    }
    const canvas = el('canvas', { role: 'img', 'aria-label': opts.aria, 'data-chart': opts.name });
    box.append(canvas);
    /* global Chart */
    return new Chart(canvas, {
      type: 'bar',
      data: { labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: opts.horizontal ? 'y' : 'x',
        scales: {
          x: { stacked, beginAtZero: true, ticks: { precision: 0 } },
          y: { stacked, beginAtZero: true, ticks: { precision: 0 } }
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: {
            callbacks: {
              label(ctx) {
                if (ctx.dataset.label.startsWith('suppressed')) return 'suppressed: no number is published';
                return ctx.dataset.label + ': ' + ctx.formattedValue;
              }
            }
          }
        }
      },
      plugins: [drawnMarker]
    });
  }

  function panel(title, note) {
    const p = el('section', { class: 'panel' }, el('h3', {}, title));
    if (note) p.append(el('p', { class: 'note' }, note));
    return p;
  }

  // ---- one flow ----

  function timelinePanel(flowId, tl) {
    const p = panel('Responses over time',
      'Sessions that ended each day (UTC), by channel. ' + cellText(tl.total) + ' in all.');
    const box = el('div', { class: 'chart-box' });
    p.append(box);
    const labels = tl.days.map((d) => d.day);
    const split = tl.days.map((d) => tl.channels.every((c) => hidden(d.channels[c])));
    const series = tl.channels.map((c) => ({
      label: c.toUpperCase(), color: COLORS[c], values: tl.days.map((d) => d.channels[c])
    }));
    // a day whose channel split is hidden but whose total is published
    series.push({
      label: 'all channels (split suppressed)',
      color: COLORS.total,
      values: tl.days.map((d, i) => (split[i] ? d.total : { count: null }))
    });
    barChart(box, labels, series, {
      stacked: true, name: 'timeline', aria: 'Bar chart of ended sessions per day for ' + flowId
    });
    const rows = tl.days.map((d) => el('tr', { 'data-day': d.day },
      el('th', { scope: 'row' }, d.day),
      ...tl.channels.map((c) => withChannel(td(d.channels[c]), c)),
      withChannel(td(d.total), 'total')));
    rows.push(el('tr', { 'data-day': 'total' }, el('th', { scope: 'row' }, 'All days'),
      ...tl.channels.map((c) => withChannel(td(tl.channel_totals[c]), c)),
      withChannel(td(tl.total), 'total')));
    p.append(table('timeline-' + flowId, 'Ended sessions per day',
      ['Day', ...tl.channels.map((c) => c.toUpperCase()), 'Total'], rows));
    return p;
  }

  function withChannel(cell, channel) {
    cell.setAttribute('data-channel', channel);
    return cell;
  }

  function funnelPanel(flowId, fn) {
    const p = panel('Where people stop',
      'For each question in the order asked: sessions that reached it (answered it or ' +
      'stopped there) and sessions that answered it. A question asked only on a condition ' +
      'is reached by fewer people.');
    const box = el('div', { class: 'chart-box tall' });
    p.append(box);
    const labels = fn.questions.map((q) => q.position + '. ' + q.question);
    barChart(box, labels, [
      { label: 'reached', color: COLORS.reached, values: fn.questions.map((q) => q.reached.total) },
      { label: 'answered', color: COLORS.answered, values: fn.questions.map((q) => q.answered.total) }
    ], { horizontal: true, name: 'funnel', aria: 'Bar chart of the completion funnel of ' + flowId });
    const head = ['Question'];
    for (const m of ['reached', 'answered']) {
      for (const c of fn.channels) head.push(m + ' ' + c.toUpperCase());
      head.push(m + ' total');
    }
    const rows = fn.questions.map((q) => {
      const cells = [];
      for (const m of ['reached', 'answered']) {
        for (const c of [...fn.channels, 'total']) {
          const cell = withChannel(td(q[m][c]), c);
          cell.setAttribute('data-measure', m);
          cells.push(cell);
        }
      }
      return el('tr', { 'data-question': q.question },
        el('th', { scope: 'row', title: q.text }, q.position + '. ' + q.question), ...cells);
    });
    p.append(table('funnel-' + flowId, 'Completion funnel', head, rows));
    return p;
  }

  function breakdownPanel(flowId, t) {
    const q = t.rows;
    // a derived variable (computed by the flow when a session completes) is titled by its
    // id; its rule, which the API sends as its text, is the note
    const p = q.kind === 'derived'
      ? panel(q.question + ' (derived)', q.text + '. Ended sessions that completed, by value.')
      : panel(q.text, 'Ended sessions that answered “' + q.question + '”, by answer.');
    const box = el('div', { class: 'chart-box' });
    p.append(box);
    barChart(box, q.categories.map((c) => c.label), [
      { label: 'sessions', color: COLORS.category, values: t.cells }
    ], { name: 'breakdown-' + q.question, aria: 'Bar chart of answers to ' + q.question });
    const rows = q.categories.map((c, i) => {
      const cell = td(t.cells[i]);
      return el('tr', { 'data-code': c.code }, el('th', { scope: 'row' }, c.label), cell);
    });
    rows.push(el('tr', { 'data-code': 'total' }, el('th', { scope: 'row' }, 'Total'), td(t.total)));
    p.append(table('breakdown-' + flowId + '-' + q.question, 'Answers to ' + q.question,
      ['Answer', 'Sessions'], rows));
    return p;
  }

  async function showFlow(main, flow) {
    const v = flow.versions[flow.versions.length - 1];
    const id = encodeURIComponent(flow.id);
    const q = '?version=' + v.version;
    const sec = el('section', { class: 'flow', id: 'flow-' + flow.id, 'data-flow': flow.id,
      'data-version': v.version });
    sec.append(el('h2', {}, v.title || flow.id),
      el('p', { class: 'flow-meta' }, flow.id + ', version ' + v.version + ', first seen ' +
        v.first_seen_on));
    main.append(sec);
    const [meta, tl, fn] = await Promise.all([
      api('/v1/flows/' + id + q), api('/v1/flows/' + id + '/timeline' + q),
      api('/v1/flows/' + id + '/funnel' + q)
    ]);
    minCell = tl.min_cell;
    const panels = el('div', { class: 'panels' });
    sec.append(panels);
    panels.append(timelinePanel(flow.id, tl), funnelPanel(flow.id, fn));
    // questions first, then the derived variables (e.g. the WG-SS disability identifier)
    const tabulable = meta.questions.concat(meta.derived || []).filter((x) => x.tabulable);
    if (tabulable.length) sec.append(el('h3', {}, 'Who answered: breakdowns'));
    const grid = el('div', { class: 'panels' });
    sec.append(grid);
    for (const x of tabulable) {
      const t = await api('/v1/flows/' + id + '/tables' + q + '&by=' + encodeURIComponent(x.id));
      grid.append(breakdownPanel(flow.id, t));
    }
  }

  async function load() {
    const main = $('flows');
    main.replaceChildren();
    document.body.dataset.state = 'loading';
    setStatus('Loading…');
    try {
      const list = await api('/v1/flows');
      if (!list.flows.length) setStatus('This token may read no flow that has data yet.');
      for (const f of list.flows) await showFlow(main, f);
      $('min-cell').textContent = String(minCell);
      $('min-cell-below').textContent = String(minCell - 1);
      if (list.flows.length) setStatus(list.flows.length + ' flow(s).');
      document.body.dataset.state = 'ready';
    } catch (e) {
      setStatus(e.status === 401 ? 'This token is not valid (unknown or revoked).'
        : 'Could not load the data: ' + e.message, true);
      document.body.dataset.state = 'error';
    }
  }

  function start() {
    const fromUrl = tokenFromFragment();
    if (fromUrl) sessionStorage.setItem(TOKEN_KEY, fromUrl);
    $('token-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
      $('token').value = '';
      load();
    });
    $('forget').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      $('flows').replaceChildren();
      document.body.dataset.state = 'idle';
      setStatus('Token forgotten.');
    });
    if (typeof Chart === 'undefined') {
      setStatus('The chart library did not load.', true);
      document.body.dataset.state = 'error';
      return;
    }
    if (token()) load();
  }

  start();
})();
