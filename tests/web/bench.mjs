// bench.mjs -- what the reporter's app costs a cheap phone on a bad
// connection, measured in Debian's Chromium against the real intake that
// tests/bench/bench_web.c started (PK_BASE). Prints BENCH lines:
//   web_reporter_js_gz_kb          the JavaScript and CSS of the first screen, gzipped
//   web_reporter_ready_slow3g_ms   cold load to an interactive first screen at 400 kbit/s, 400 ms RTT
//   web_reporter_ready_cached_ms   the installed app opened again (service worker), same network
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
  for (const f of [...first]) {
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
const context = await browser.newContext({ viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true });
async function slowPage() {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 400,
    downloadThroughput: (400 * 1024) / 8,
    uploadThroughput: (400 * 1024) / 8,
  });
  return page;
}
async function ready(page) {
  const t0 = Date.now();
  await page.goto(BASE + '/', { waitUntil: 'commit' });
  await page.getByLabel('Nomor HP aktif').waitFor({ state: 'visible', timeout: 60000 });
  await page.waitForFunction(() => document.querySelector('#phone') && !document.querySelector('#phone').disabled);
  return Date.now() - t0;
}
const cold = await slowPage();
const coldMs = await ready(cold);
console.log(`BENCH web_reporter_ready_slow3g_ms ${coldMs} ms`);
// Installed: the service worker has the app shell.
await cold.evaluate(async () => {
  await navigator.serviceWorker.ready;
});
await cold.reload();
await cold.evaluate(async () => {
  await navigator.serviceWorker.ready;
});
await cold.close();
const again = await slowPage();
const cachedMs = await ready(again);
console.log(`BENCH web_reporter_ready_cached_ms ${cachedMs} ms`);
await browser.close();
