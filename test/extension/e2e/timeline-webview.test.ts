// The timeline webview (media/timeline.js in Debian's Chromium, fed as the extension feeds it, without an editor
// around it), on `dmalab run`'s trace of a manager program that starts two channels: one flow arrow per DMAGO, from
// the DMAGO on the manager's lane to the first instruction of the channel it started, on their items when the view
// zooms; and the same picture from the trace sent whole or in increments (timelineDelta).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TraceDocument } from '../../../emulator/trace/trace-events';
import { REPO_ROOT } from './support/paths';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`;
const MEDIA = join(REPO_ROOT, 'media');

let browser: Browser | undefined;
let page: Page;
let trace: TraceDocument;

/** A fresh panel. */
async function openPanel(): Promise<void> {
  await page.setContent(`<!DOCTYPE html><html><head><style>${readFileSync(join(MEDIA, 'timeline.css'), 'utf8')}</style></head>
<body><div id="dmalab-timeline" tabindex="0"></div>
<script>window.posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.posted.push(m) });</script>
<script>${readFileSync(join(MEDIA, 'timeline.js'), 'utf8')}</script></body></html>`);
}

before(async () => {
  if (skip) return;
  const out = join(mkdtempSync(join(tmpdir(), 'dmalab-flows-')), 'scatter.json');
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli.js'), 'run', join(REPO_ROOT, 'examples', 'pl330', 'scatter.pl330'), '--trace-out', out], { encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, r.stderr); // its non-secure channel faults without --ns-peripherals
  trace = JSON.parse(readFileSync(out, 'utf8')) as TraceDocument;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'], timeout: 60_000 });
  page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
});

/** Posts a message as the extension does, and waits for the frame that draws it. */
async function post(message: Record<string, unknown>): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
  await page.waitForFunction(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)))));
}

/** What the panel shows: its status line and every item drawn (lane, kind, position, label). */
function picture(): Promise<{ status: string; items: string[]; arrows: number }> {
  return page.evaluate(() => ({
    status: document.querySelector('.toolbar .status')!.textContent ?? '',
    items: [...document.querySelectorAll<HTMLElement>('.item')].map((d) => `${(d.parentElement as HTMLElement).dataset.lane} ${d.className} ${d.style.left} ${d.style.width} ${d.textContent}`).sort(),
    arrows: document.querySelectorAll('svg.flows path.flow').length,
  }));
}

after(async () => {
  await browser?.close();
});

interface Box { readonly x: number; readonly y: number; readonly width: number; readonly height: number }
interface Arrow { readonly from: Box & { readonly lane: string; readonly text: string }; readonly to: Box & { readonly lane: string }; readonly start: { x: number; y: number }; readonly end: { x: number; y: number } }

/** Each arrow's ends in page coordinates, with the boxes of the items it links. */
function arrows(): Promise<Arrow[]> {
  return page.evaluate(() => [...document.querySelectorAll<SVGPathElement>('svg.flows path.flow')].map((path) => {
    const svg = path.ownerSVGElement!.getBoundingClientRect();
    const point = (at: number) => {
      const p = path.getPointAtLength(at);
      return { x: svg.left + p.x, y: svg.top + p.y };
    };
    const item = (i: string) => {
      const div = document.querySelector<HTMLElement>(`.item[data-i="${i}"]`)!;
      const box = div.getBoundingClientRect();
      const row = div.closest('.lane')!.getBoundingClientRect();
      return { x: box.left, y: row.top, width: box.width, height: row.height, lane: (div.parentElement as HTMLElement).dataset.lane!, text: div.textContent ?? '' };
    };
    return { from: item(path.dataset.from!), to: item(path.dataset.to!), start: point(0), end: point(path.getTotalLength()) };
  }));
}

function assertOnItems(list: Arrow[]): void {
  for (const a of list) {
    // A flow starts where its DMAGO starts and ends where the channel's first instruction starts.
    assert.ok(Math.abs(a.start.x - a.from.x) <= 1.5, `start x ${a.start.x} at the DMAGO's ${a.from.x}`);
    assert.ok(Math.abs(a.end.x - a.to.x) <= 1.5, `end x ${a.end.x} at the instruction's ${a.to.x}`);
    assert.ok(a.start.y > a.from.y && a.start.y < a.from.y + a.from.height, 'starts in the manager row');
    assert.ok(a.end.y > a.to.y && a.end.y < a.to.y + a.to.height, 'ends in the channel row');
  }
}

test('a flow arrow per DMAGO, from the manager lane to the first instruction of the channel it started, through a zoom', { skip, timeout: 120_000 }, async () => {
  await openPanel();
  const flowEnds = trace.traceEvents.filter((e) => e.ph === 'f').map((e) => `channel ${e.tid - 1}`).sort();
  assert.ok(flowEnds.length >= 2);
  const end = Math.max(...trace.traceEvents.map((e) => e.ts + (e.dur ?? 0)));
  await page.evaluate((m) => window.postMessage(m, '*'), { type: 'timeline', trace, now: end, state: 'ended', session: 'scatter' });
  await page.waitForFunction((n) => document.querySelectorAll('svg.flows path.flow').length === n, flowEnds.length, { timeout: 10_000 });

  const fitted = await arrows();
  assert.deepEqual(fitted.map((a) => a.to.lane).sort(), flowEnds);
  assert.ok(fitted.every((a) => a.from.lane === 'manager'));
  assertOnItems(fitted);

  // Zoomed in with the wheel where the arrows are: they are redrawn on their items, longer.
  await page.mouse.move(fitted[0].start.x, fitted[0].start.y);
  for (let i = 0; i < 5; i++) {
    await page.mouse.wheel(0, -300);
    await page.waitForFunction(() => new Promise((resolve) => requestAnimationFrame(() => resolve(true))));
  }
  const zoomed = await arrows();
  assert.equal(zoomed.length, fitted.length);
  assertOnItems(zoomed);
  const length = (a: Arrow) => a.end.x - a.start.x;
  assert.ok(length(zoomed[0]) > 10 * length(fitted[0]), `${length(fitted[0])} px, zoomed ${length(zoomed[0])} px`);
});

test('the same picture from the whole trace and from increments; a reset increment starts the record anew', { skip, timeout: 120_000 }, async () => {
  const end = Math.max(...trace.traceEvents.map((e) => e.ts + (e.dur ?? 0)));
  const common = { now: end, state: 'stopped', session: 'scatter' };
  await openPanel();
  await post({ type: 'timeline', trace, ...common });
  const whole = await picture();
  assert.ok(whole.items.length > 10 && whole.arrows === 2, JSON.stringify(whole.status));

  await openPanel();
  const metadata = trace.traceEvents.filter((e) => e.ph === 'M');
  const events = trace.traceEvents.filter((e) => e.ph !== 'M');
  // The last slice is still open in the first increment (shown shorter), closed in the second.
  const last = events.filter((e) => e.ph === 'X').at(-1)!;
  const rest = events.filter((e) => e !== last);
  const half = Math.floor(rest.length / 2);
  await post({ type: 'timelineDelta', reset: true, metadata, added: rest.slice(0, half), open: [{ ...last, dur: last.dur! / 2 }], ...common });
  const partial = await picture();
  assert.notDeepEqual(partial.items, whole.items);
  await post({ type: 'timelineDelta', reset: false, metadata, added: [...rest.slice(half), last], open: [], ...common });
  assert.deepEqual(await picture(), whole);

  // A reset increment (a new session, a record started again) replaces what the panel held.
  await post({ type: 'timelineDelta', reset: true, metadata, added: rest.slice(0, half), open: [{ ...last, dur: last.dur! / 2 }], ...common });
  assert.deepEqual(await picture(), partial);
});
