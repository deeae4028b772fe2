// bench_desk.mjs -- how soon a new report shows on the admin's desk:
//
//   web_desk_new_case_p50_ms / _p95_ms / _max_ms
//                         the 201 of POST /v1/reports as this script received it -> its row's
//                         insertion in the page (DOM, not paint); one wall clock for both. A report
//                         whose row did not come within 15 s counts as infinitely late (printed
//                         "inf"), never left out; p95 and the maximum, as 200 samples make no p99
//   web_desk_new_case_seen               rows seen of the reports sent
//   web_desk_new_case_before_201         rows that appeared before this script had the 201
//                                        (counted as 0 ms, and said how many)
//
// The desk is the real staff app in Debian's Chromium; the page notes when
// each row first appears (a MutationObserver, same clock as this script),
// while 200 distinct reporters (PK_TOKENS, one per line) send one report
// each at about 10 a second.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const BASE = process.env.PK_BASE;
const tokens = fs.readFileSync(process.env.PK_TOKENS, 'utf8').trim().split('\n');
const [login, password] = process.env.PK_ADMIN.split(':');

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'id-ID' })).newPage();
await page.goto(BASE + '/staff/');
await page.getByLabel('Nama pengguna').fill(login);
await page.getByLabel('Kata sandi').fill(password);
await page.getByRole('button', { name: 'Masuk' }).click();
await page.getByTestId('live').getByText('Langsung').waitFor();
await page.evaluate(() => {
  const seen = (window.__seen = {});
  const note = () => {
    for (const tr of document.querySelectorAll('tr[data-ticket]')) seen[tr.dataset.ticket] ??= Date.now();
  };
  new MutationObserver(note).observe(document.body, { childList: true, subtree: true, attributes: true });
});

const sent = {};
const body = JSON.stringify({
  reporter: { kind: 'victim' }, victim: { sex: 'F', age: 30 }, violence_forms: ['psikis'],
  location: { kecamatan_code: '32.06.24' },
  contact_safety: { safe_hours: '00:00-23:59', safe_channel: 'call', phone_monitored: false },
});
const posts = tokens.map(async (token, i) => {
  await new Promise((r) => setTimeout(r, i * 100));
  const res = await fetch(BASE + '/v1/reports', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `desk-bench-${i}` },
    body,
  });
  const at = Date.now();
  if (res.status === 201) sent[(await res.json()).ticket] = at;
});
await Promise.all(posts);
const deadline = Date.now() + 15000;
let seen = {};
while (Date.now() < deadline) {
  seen = await page.evaluate(() => window.__seen);
  if (Object.keys(sent).every((t) => seen[t])) break;
  await new Promise((r) => setTimeout(r, 200));
}
const lat = Object.entries(sent)
  .map(([t, at]) => (seen[t] ? seen[t] - at : Infinity))
  .sort((a, b) => a - b);
const early = lat.filter((x) => x < 0).length;
const ms = (x) => (x === Infinity ? 'inf' : String(Math.max(0, x)));
const pct = (p) => (lat.length ? ms(lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)]) : 'NaN');
const seenN = lat.filter((x) => x !== Infinity).length;
console.log(`BENCH web_desk_new_case_p50_ms ${pct(50)} ms (201 received -> its row in the page; ${lat.length} samples)`);
console.log(`BENCH web_desk_new_case_p95_ms ${pct(95)} ms`);
console.log(`BENCH web_desk_new_case_max_ms ${pct(100)} ms`);
console.log(`BENCH web_desk_new_case_seen ${seenN} of ${Object.keys(sent).length} reports (${tokens.length} reporters)`);
console.log(`BENCH web_desk_new_case_before_201 ${early} rows`);
await browser.close();
