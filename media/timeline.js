// The DMA timeline webview: draws the Chrome trace-event document the debug session sends, whole or as what was
// recorded since its last message (`timelineDelta`; the slices still open replace the last ones) (one row per lane, items
// at their simulated time, an arrow for each flow: a DMAGO to the channel it started, an access to its SMMU walk),
// zooms and pans with the mouse and keys, shows an item's details on hover, and asks the extension to reveal an
// item's source line on click. Only the items in view are in the page.
(function () {
  'use strict';
  const vscode = acquireVsCodeApi();
  const LABEL_WIDTH = 150;
  const SVG = 'http://www.w3.org/2000/svg';
  const root = document.getElementById('dmalab-timeline');

  const toolbar = el('div', 'toolbar');
  const sessionName = el('span', 'session');
  const status = el('span', 'status');
  const hint = el('span', 'hint');
  hint.textContent = 'wheel: zoom · shift+wheel or drag: pan · ←/→ pan · +/− zoom · 0 fit';
  toolbar.append(sessionName, status, hint);
  const axis = el('div', 'axis');
  const lanesBox = el('div', 'lanes');
  const markers = el('div', 'markers');
  const tooltip = el('div', 'tooltip');
  root.append(toolbar, axis, lanesBox, tooltip);

  /** The document's lanes in display order, each with its items sorted by time. */
  let lanes = [];
  /** Every drawable item: { e (the trace event), kind, lane }. */
  let items = [];
  let now = 0;
  let stopped = false;
  /** The view: its left edge in µs and its scale in pixels per µs; fitted to the data until the user zooms or pans. */
  let t0 = 0;
  let scale = 1;
  let fitted = true;
  let span = { start: 0, end: 1 };
  /** Item index → indexes of the items flows link it with (a DMAGO to the channel's start, an access to its walk). */
  let links = new Map();
  /** The flows whose ends are both on lanes: { from, to } items and the flow's own instants there. */
  let flows = [];
  /** What timelineDelta messages brought: the events recorded (kept), and the metadata and open slices (replaced). */
  let recorded = [];
  let selected = undefined;
  let mark = undefined;
  let frame = 0;

  function el(tag, cls) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    return e;
  }

  function trackWidth() {
    return Math.max(50, lanesBox.clientWidth - LABEL_WIDTH);
  }

  /** What the document holds, as lanes of items. */
  function load(trace) {
    const processes = new Map();
    const laneMap = new Map();
    const key = (pid, tid) => pid + ':' + tid;
    for (const e of trace.traceEvents) {
      if (e.ph !== 'M') continue;
      if (e.name === 'process_name') processes.set(e.pid, e.args.name);
      else if (e.name === 'thread_name') laneMap.set(key(e.pid, e.tid), { pid: e.pid, tid: e.tid, name: e.args.name, sort: e.tid, items: [] });
      else if (e.name === 'thread_sort_index') {
        const lane = laneMap.get(key(e.pid, e.tid));
        if (lane) lane.sort = e.args.sort_index;
      }
    }
    items = [];
    let start = Infinity;
    let end = -Infinity;
    for (const e of trace.traceEvents) {
      if (e.ph !== 'X' && e.ph !== 'i' && e.ph !== 'C') continue;
      const lane = laneMap.get(key(e.pid, e.ph === 'C' ? 0 : e.tid));
      if (!lane) continue;
      const kind = e.ph === 'X' ? e.cat : e.ph === 'C' ? 'instant irq' : 'instant ' + (e.cat || (e.name === 'fault' ? 'fault' : 'event'));
      if (e.ph === 'C' && !e.args.level) continue; // an interrupt line's rise is the moment that matters
      const item = { e, kind, lane, index: items.length };
      items.push(item);
      lane.items.push(item);
      start = Math.min(start, e.ts);
      end = Math.max(end, e.ts + (e.dur || 0));
    }
    lanes = [...laneMap.values()].filter((l) => l.items.length > 0).sort((a, b) => a.pid - b.pid || a.sort - b.sort);
    for (const lane of lanes) {
      lane.process = processes.get(lane.pid) || 'process ' + lane.pid;
      lane.items.sort((a, b) => a.e.ts - b.e.ts);
    }
    flows = pairFlows(trace.traceEvents, laneMap, key);
    links = new Map();
    const add = (a, b) => links.set(a.index, [...(links.get(a.index) || []), b.index]);
    for (const flow of flows) {
      add(flow.from, flow.to);
      add(flow.to, flow.from);
    }
    if (start === Infinity) span = { start: 0, end: 1 };
    else span = { start, end: Math.max(end, now, start + 0.001) };
  }

  /** Each flow's ends bound to the slices enclosing them on their lanes (or the instant there). */
  function pairFlows(events, laneMap, key) {
    const ends = new Map();
    for (const e of events) {
      if (e.ph !== 's' && e.ph !== 'f') continue;
      const pair = ends.get(e.id) || {};
      pair[e.ph] = e;
      ends.set(e.id, pair);
    }
    const at = (e) => {
      const lane = laneMap.get(key(e.pid, e.tid));
      if (!lane) return undefined;
      let found;
      for (const item of lane.items) {
        const end = item.e.ts + (item.e.dur || 0);
        if (item.e.ts <= e.ts && e.ts <= end && (!found || item.e.ts >= found.e.ts)) found = item;
      }
      return found;
    };
    const result = [];
    for (const pair of ends.values()) {
      if (!pair.s || !pair.f) continue;
      const from = at(pair.s), to = at(pair.f);
      if (from && to) result.push({ from, to, start: pair.s.ts, end: pair.f.ts, name: pair.s.name });
    }
    return result;
  }

  function fit() {
    const width = span.end - span.start;
    t0 = span.start - width * 0.01;
    scale = trackWidth() / (width * 1.02);
  }

  function x(ts) {
    return (ts - t0) * scale;
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; render(); });
  }

  function render() {
    if (fitted) fit();
    const width = trackWidth();
    const tEnd = t0 + width / scale;
    const scroll = lanesBox.scrollTop;
    lanesBox.textContent = '';
    let lastProcess;
    const rows = new Map();
    for (const lane of lanes) {
      if (lane.process !== lastProcess) {
        const header = el('div', 'process');
        header.textContent = lane.process;
        lanesBox.append(header);
        lastProcess = lane.process;
      }
      const row = el('div', 'lane');
      const label = el('div', 'label');
      label.textContent = lane.name;
      label.title = lane.process + ' · ' + lane.name;
      const track = el('div', 'track');
      track.dataset.lane = lane.name;
      // One item per kind per pixel: a zoomed-out view of thousands of bursts stays light.
      const lastPixel = new Map();
      for (const item of lane.items) {
        const e = item.e;
        if (e.ts > tEnd) break;
        const dur = e.dur || 0;
        if (e.ts + dur < t0) continue;
        const left = x(e.ts);
        const pixel = Math.floor(left);
        if (dur * scale < 2 && lastPixel.get(item.kind) === pixel && item !== selected) continue;
        lastPixel.set(item.kind, pixel);
        const div = el('div', 'item ' + item.kind + (item.kind === 'burst' ? (e.name.startsWith('write') ? ' write' : ' read') : '') + (item === selected ? ' selected' : ''));
        div.dataset.i = String(item.index);
        div.dataset.cat = e.cat || '';
        div.style.left = Math.max(-2, left) + 'px';
        if (e.ph === 'X') {
          const w = Math.max(2, dur * scale - (left < 0 ? -left : 0));
          div.style.width = w + 'px';
          if (w > 40) div.textContent = e.name;
        }
        track.append(div);
      }
      row.append(label, track);
      lanesBox.append(row);
      rows.set(lane, row);
    }
    lanesBox.append(flowArrows(rows, width, tEnd), markers);
    markers.textContent = '';
    if (lanes.length > 0) {
      const nowMarker = el('div', 'marker now' + (stopped ? '' : ' running'));
      nowMarker.style.left = x(now) + 'px';
      nowMarker.title = 'now: ' + formatTime(now);
      markers.append(nowMarker);
      if (mark !== undefined) {
        const m = el('div', 'marker mark');
        m.style.left = x(mark) + 'px';
        markers.append(m);
      }
    }
    lanesBox.scrollTop = scroll;
    renderAxis(width);
  }

  /** An arrow per flow that crosses the view, from its start on one lane to its end on another (tracks' space). */
  function flowArrows(rows, width, tEnd) {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'flows');
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(lanesBox.scrollHeight));
    const defs = document.createElementNS(SVG, 'defs');
    const head = document.createElementNS(SVG, 'marker');
    head.setAttribute('id', 'flow-head');
    for (const [k, v] of Object.entries({ viewBox: '0 0 8 8', refX: '7', refY: '4', markerWidth: '6', markerHeight: '6', orient: 'auto-start-reverse' })) head.setAttribute(k, v);
    const tip = document.createElementNS(SVG, 'path');
    tip.setAttribute('d', 'M0,0 L8,4 L0,8 z');
    head.append(tip);
    defs.append(head);
    svg.append(defs);
    const middle = (lane) => {
      const row = rows.get(lane);
      return row.offsetTop + row.offsetHeight / 2;
    };
    for (const flow of flows) {
      if (Math.max(flow.start, flow.end) < t0 || Math.min(flow.start, flow.end) > tEnd) continue;
      const x1 = x(flow.start), y1 = middle(flow.from.lane), x2 = x(flow.end), y2 = middle(flow.to.lane);
      const bend = Math.max(12, Math.abs(y2 - y1) / 3);
      const path = document.createElementNS(SVG, 'path');
      path.setAttribute('d', `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`);
      path.setAttribute('marker-end', 'url(#flow-head)');
      path.setAttribute('class', 'flow' + (flow.from === selected || flow.to === selected ? ' linked' : ''));
      path.dataset.from = String(flow.from.index);
      path.dataset.to = String(flow.to.index);
      const title = document.createElementNS(SVG, 'title');
      title.textContent = flow.name + ': ' + flow.from.e.name + ' → ' + flow.to.e.name;
      path.append(title);
      svg.append(path);
    }
    return svg;
  }

  function renderAxis(width) {
    axis.textContent = '';
    const step = niceStep(80 / scale);
    for (let t = Math.ceil(t0 / step) * step; x(t) < width; t += step) {
      const tick = el('div', 'tick');
      tick.style.left = x(t) + 'px';
      tick.textContent = formatTime(t);
      axis.append(tick);
    }
  }

  function niceStep(raw) {
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }

  /** Microseconds as the viewer reads them: ns below a µs, ms above a thousand. */
  function formatTime(us) {
    const a = Math.abs(us);
    if (a >= 1000) return +(us / 1000).toFixed(3) + ' ms';
    if (a >= 1 || a === 0) return +us.toFixed(3) + ' µs';
    return +(us * 1000).toFixed(1) + ' ns';
  }

  function describe(item) {
    const e = item.e;
    const lines = [e.name, item.lane.process + ' · ' + item.lane.name, 'at ' + formatTime(e.ts) + (e.ph === 'X' ? ' for ' + formatTime(e.dur) : '')];
    for (const [k, v] of Object.entries(e.args || {})) lines.push(k + ': ' + (Array.isArray(v) ? v.join(' ') : v));
    for (const other of links.get(item.index) || []) lines.push('linked: ' + items[other].e.name + ' (' + items[other].lane.name + ')');
    if (e.args && e.args.pc !== undefined) lines.push('click: go to its source line');
    return lines.join('\n');
  }

  // ---- Zoom and pan ------------------------------------------------------------------------------------------

  function zoom(factor, atPixel) {
    const at = t0 + atPixel / scale;
    scale = Math.min(1e9, Math.max(1e-9, scale * factor));
    t0 = at - atPixel / scale;
    fitted = false;
    schedule();
  }

  function pan(pixels) {
    t0 += pixels / scale;
    fitted = false;
    schedule();
  }

  lanesBox.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const pixel = ev.clientX - lanesBox.getBoundingClientRect().left - LABEL_WIDTH;
    if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) pan(ev.deltaX || ev.deltaY);
    else zoom(Math.exp(-ev.deltaY * 0.002), Math.max(0, pixel));
  }, { passive: false });

  let drag;
  lanesBox.addEventListener('mousedown', (ev) => {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, moved: false };
    lanesBox.classList.add('dragging');
  });
  window.addEventListener('mousemove', (ev) => {
    if (drag) {
      const dx = ev.clientX - drag.x;
      if (Math.abs(dx) > 2) drag.moved = true;
      if (drag.moved) {
        drag.x = ev.clientX;
        pan(-dx);
      }
      return;
    }
    const target = ev.target.closest && ev.target.closest('.item');
    if (!target) {
      tooltip.style.display = 'none';
      highlightLinks(undefined);
      return;
    }
    const item = items[Number(target.dataset.i)];
    tooltip.textContent = describe(item);
    highlightLinks(item);
    tooltip.style.display = 'block';
    tooltip.style.left = Math.min(ev.clientX + 12, window.innerWidth - tooltip.offsetWidth - 4) + 'px';
    tooltip.style.top = Math.min(ev.clientY + 12, window.innerHeight - tooltip.offsetHeight - 4) + 'px';
  });
  window.addEventListener('mouseup', (ev) => {
    const wasDrag = drag && drag.moved;
    drag = undefined;
    lanesBox.classList.remove('dragging');
    if (wasDrag) return;
    const target = ev.target.closest && ev.target.closest('.item');
    if (target) choose(items[Number(target.dataset.i)]);
  });

  function highlightLinks(item) {
    for (const div of lanesBox.querySelectorAll('.item.linked')) div.classList.remove('linked');
    if (!item) return;
    for (const other of links.get(item.index) || []) {
      const div = lanesBox.querySelector('.item[data-i="' + other + '"]');
      if (div) div.classList.add('linked');
    }
  }

  /** A click: the item is marked, its moment too, and its source line is revealed. */
  function choose(item) {
    selected = item;
    mark = item.e.ts;
    schedule();
    const args = item.e.args || {};
    if (args.pc === undefined) return;
    const callers = Array.isArray(args.callers) ? args.callers.map(Number) : [];
    vscode.postMessage({ type: 'reveal', pid: item.e.pid, pc: Number(args.pc), callers });
  }

  root.addEventListener('keydown', (ev) => {
    const width = trackWidth();
    switch (ev.key) {
      case 'ArrowLeft': case 'a': pan(-width / 10); break;
      case 'ArrowRight': case 'd': pan(width / 10); break;
      case '+': case '=': case 'w': zoom(1.5, width / 2); break;
      case '-': case 's': zoom(1 / 1.5, width / 2); break;
      case '0': case 'Home': fitted = true; schedule(); break;
      default: return;
    }
    ev.preventDefault();
  });
  window.addEventListener('resize', schedule);

  window.addEventListener('message', (ev) => {
    const m = ev.data;
    if (m.type === 'timelineDelta') {
      if (m.reset) recorded = [];
      for (const e of m.added) recorded.push(e);
      show({ traceEvents: [...m.metadata, ...recorded, ...m.open] }, m);
    } else if (m.type === 'timeline') show(m.trace, m);
    else if (m.type === 'empty') {
      lanes = [];
      items = [];
      lanesBox.textContent = '';
      const empty = el('div', 'empty');
      empty.textContent = m.text;
      lanesBox.append(empty);
    } else if (m.type === 'status') {
      status.textContent = m.text;
    }
  });

  /** The session's trace as it stands, with the message's present, state and session name. */
  function show(trace, m) {
    now = m.now;
    stopped = m.state !== 'running';
    const selectedIndex = selected && selected.index;
    load(trace);
    selected = selectedIndex === undefined ? undefined : items[selectedIndex];
    sessionName.textContent = m.session;
    const bursts = items.filter((i) => i.kind === 'burst').length;
    status.textContent = { stopped: 'stopped at ', running: 'running, at ', ended: 'ended at ' }[m.state] + formatTime(now) + ' · ' + lanes.length + ' lanes · ' + bursts + ' bursts';
    if (lanes.length === 0) {
      lanesBox.textContent = '';
      const empty = el('div', 'empty');
      empty.textContent = 'Nothing recorded yet: the timeline shows what the machine does from now on.';
      lanesBox.append(empty);
      axis.textContent = '';
      return;
    }
    schedule();
  }

  root.focus();
  vscode.postMessage({ type: 'ready' });
})();
