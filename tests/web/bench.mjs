// bench.mjs -- what the reporter's app costs a cheap phone on a bad
// connection, measured in Debian's Chromium against the real intake that
// tests/bench/bench_web.c started (PK_BASE). Prints BENCH lines:
//   web_reporter_js_gz_kb            the first screen's JavaScript and CSS (its page's files and every
//                                    static import, to a fixed point), gzip -9 computed here
//   web_reporter_first_screen_wire_kb  the bytes that crossed the network for the first screen, every
//                                    response as served (CDP encodedDataLength, a cold cache)
//   web_reporter_ready_400k_400ms_ms the median of 5 cold loads to an interactive first screen at
//                                    400 kbit/s down and up, 400 ms round trip (not DevTools' "Slow 3G",
//                                    which is 2000 ms); the spread is printed too
//   web_reporter_ready_cached_ms     the median of 5 loads of the installed app (service worker), same network
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const BASE = process.env.PK_BASE;
const WEB = process.env.PK_WEB_DIR;

// A first screen's own files: what its page loads (scripts, module
// preloads, style sheets) and what they import statically; the map's
// chunks are loaded only with a map.
function firstScreenGz(page) {
  const html = fs.readFileSync(path.join(WEB, page), 'utf8');
  const first = new Set([...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]));
  // Static imports, followed to a fixed point (a Set iterates what is
  // added while iterating).
  for (const f of first) {
    if (!f.endsWith('.js')) continue;
    const js = fs.readFileSync(path.join(WEB, f), 'utf8');
    for (const m of js.matchAll(/from"\.\/([^"]+\.js)"|import"\.\/([^"]+\.js)"/g)) first.add('/assets/' + (m[1] ?? m[2]));
  }
  let gz = 0;
  for (const f of first) gz += zlib.gzipSync(fs.readFileSync(path.join(WEB, f)), { level: 9 }).length;
  return (gz / 1024).toFixed(1);
}
console.log(`BENCH web_reporter_js_gz_kb ${firstScreenGz('index.html')} KB`);
console.log(`BENCH web_staff_js_gz_kb ${firstScreenGz('staff/index.html')} KB`);

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const N = 5;
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
// A phone on the slow network; `wire` sums the bytes each response took on
// the network (headers and body as served, compressed or not).
async function slowPage(context, cpu = 1) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  // A cheap phone: its CPU `cpu` times slower than this machine's.
  if (cpu > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpu });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 400,
    downloadThroughput: (400 * 1024) / 8,
    uploadThroughput: (400 * 1024) / 8,
  });
  const wire = { bytes: 0 };
  cdp.on('Network.loadingFinished', (e) => { wire.bytes += e.encodedDataLength; });
  return { page, wire };
}
async function ready(page) {
  const t0 = Date.now();
  await page.goto(BASE + '/', { waitUntil: 'commit' });
  await page.getByLabel('Nomor HP aktif').waitFor({ state: 'visible', timeout: 120000 });
  await page.waitForFunction(() => document.querySelector('#phone') && !document.querySelector('#phone').disabled);
  return Date.now() - t0;
}
const newContext = () => browser.newContext({ viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true });
// Cold: a fresh context each time (no HTTP cache, no service worker).
const cold = [];
let wireKb = NaN;
for (let i = 0; i < N; i++) {
  const context = await newContext();
  const { page, wire } = await slowPage(context);
  cold.push(await ready(page));
  // What the first screen took, read when it became usable: the service
  // worker's precache of the rest comes after, and is not the first screen.
  if (i === 0) wireKb = wire.bytes / 1024;
  await context.close();
}
console.log(`BENCH web_reporter_first_screen_wire_kb ${wireKb.toFixed(1)} KB`);
console.log(`BENCH web_reporter_transfer_kb ${wireKb.toFixed(1)} KB (the first screen over the wire, compressed)`);
console.log(`BENCH web_reporter_ready_400k_400ms_ms ${median(cold)} ms (median of ${N} cold loads; ${Math.min(...cold)}-${Math.max(...cold)})`);
// The phone (22): slow 3G (the same network) and a CPU 4x slower.
const slowCpu = [];
for (let i = 0; i < N; i++) {
  const context = await newContext();
  const { page } = await slowPage(context, 4);
  slowCpu.push(await ready(page));
  await context.close();
}
console.log(`BENCH web_reporter_ready_slow3g_ms ${median(slowCpu)} ms (slow 3G and a 4x slower CPU; median of ${N} cold loads; ${Math.min(...slowCpu)}-${Math.max(...slowCpu)}; goal < 5000)`);
// Installed: the service worker has the app shell; opened again 5 times.
const context = await newContext();
const first = await slowPage(context);
await ready(first.page);
await first.page.evaluate(async () => { await navigator.serviceWorker.ready; });
await first.page.reload();
await first.page.evaluate(async () => { await navigator.serviceWorker.ready; });
await first.page.close();
const cached = [];
for (let i = 0; i < N; i++) {
  const { page } = await slowPage(context);
  cached.push(await ready(page));
  await page.close();
}
console.log(`BENCH web_reporter_ready_cached_ms ${median(cached)} ms (median of ${N}; ${Math.min(...cached)}-${Math.max(...cached)})`);
await browser.close();
