// harness.mjs -- what the browser scenarios share: Debian's Chromium
// (headless, driven by playwright-core) against the real services that
// tests/e2e/test_web.c started, a tile server stand-in, the API as curl
// would call it, screenshots with an axe-core check of each, and the
// record of the app's API exchanges for the contract check.
//
// Environment: PK_BASE (intake), PK_SINK (notification's sink file, where
// the SMS codes land), PK_TILE_PORT (the tile stand-in served here),
// PK_SHOTS (screenshots), PK_ADMIN / PK_COMPANION / PK_COMPANION2 /
// PK_AGENCY / PK_AGENCY2 ("login:password").
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const BASE = process.env.PK_BASE;
export const SINK = process.env.PK_SINK;
const TILE_PORT = Number(process.env.PK_TILE_PORT);
const SHOTS = process.env.PK_SHOTS;
let prefix = 'web';
export const LAT = -7.3512, LON = 108.1012; // the place, in Singaparna

export function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// How long any wait for what a person would see may take: far above the
// slowest honest answer on a loaded machine (PKTEST_WAIT_MS to change it).
export const WAIT = Number(process.env.PKTEST_WAIT_MS || 60000);
// Polls `fn` until it gives something truthy, which it returns; fails
// naming `what` after `ms`. For outcomes no screen shows.
export async function until(fn, what, ms = WAIT) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`check failed: ${what} (not within ${ms / 1000} s)`);
    await sleep(100);
  }
}

// ---- the tile stand-in: one plain PNG for every tile ------------------------------
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==',
  'base64',
);
const tiles = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'image/png', 'access-control-allow-origin': '*' });
  res.end(png);
});

// ---- the API, as the admin and the companion use it (curl's job) ------------------
// Every exchange is recorded for the contract check, like the app's own.
export async function api(method, p, headers, body) {
  const res = await fetch(BASE + p, { method, headers, body, signal: AbortSignal.timeout(WAIT) });
  const text = await res.text();
  appendRecord({
    method, path: p, request_headers: redact(headers), request_body: body ?? '', status: res.status, timed_out: false,
    response_headers: Object.fromEntries(res.headers), response_body: text,
  });
  return { status: res.status, text };
}
export async function call(method, p, token, body) {
  const r = await api(method, p,
    { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body ? JSON.stringify(body) : undefined);
  return { status: r.status, json: r.text ? JSON.parse(r.text) : null };
}
export async function login(pair) {
  const [login, password] = pair.split(':');
  const r = await call('POST', '/v1/staff/login', null, { login, password });
  check(r.status === 200, `staff login ${login}: ${r.status}`);
  return r.json.token;
}
// A reporter registered through the API (the code from the sink): the token.
export async function reporter(phone) {
  const before = codesFor(phone.slice(-6)).length;
  check((await call('POST', '/v1/auth/otp', null, { phone })).status === 202, `a code for ${phone}`);
  const r = await call('POST', '/v1/auth/otp/verify', null, { phone, code: await lastCode(phone.slice(-6), before) });
  check(r.status === 200, `registered ${phone}: ${r.status}`);
  return r.json.token;
}
const SAFE = { safe_hours: '00:00-23:59', safe_channel: 'call', phone_monitored: false };
// A report through the API; `body` defaults to an adult victim's, at the place.
export async function report(token, key, body = {}) {
  const r = await api('POST', '/v1/reports',
    { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    JSON.stringify({
      reporter: { kind: 'victim' }, victim: { age: 30 }, violence_forms: ['fisik'],
      location: { lat: LAT, lon: LON, kecamatan_code: '32.06.24' }, contact_safety: SAFE, ...body,
    }));
  check(r.status === 201, `report ${key}: ${r.status}`);
  return JSON.parse(r.text);
}
// A verified case (report, confirmation call, verification): its id.
export async function verifiedCase(admin, phone, key) {
  const { case_id: id } = await report(await reporter(phone), key);
  await call('GET', `/v1/staff/cases/${id}?purpose=confirmation_call`, admin);
  await call('POST', `/v1/staff/cases/${id}/calls`, admin, { outcome: 'reached' });
  check((await call('POST', `/v1/staff/cases/${id}/verify`, admin)).status === 200, 'verified');
  return id;
}
// The codes sent to a phone so far, oldest first.
function codesFor(phoneTail) {
  const lines = fs.existsSync(SINK) ? fs.readFileSync(SINK, 'utf8').trim().split('\n') : [];
  const out = [];
  for (const l of lines) {
    if (!l) continue;
    const m = JSON.parse(l);
    const code = /(\d{6})/.exec(m.text ?? '');
    if (code && m.to && m.to.endsWith(phoneTail)) out.push(code[1]);
  }
  return out;
}
// The newest code sent to a phone, once more than `before` were sent (a
// code asked again is waited for, not taken for the one before).
export async function lastCode(phoneTail, before = 0) {
  return until(() => {
    const codes = codesFor(phoneTail);
    return codes.length > before ? codes[codes.length - 1] : null;
  }, `a code for ...${phoneTail} in the sink`);
}

// ---- the browser --------------------------------------------------------------
const requests = [];
let shotN = 0;
const browsers = [];
// Uncaught exceptions in any page: each one fails the scenario.
const pageErrors = [];
// The app's exchanges with the API join the suites' record for the
// contract check (tools/contract), streams left out (the C suites check
// them). Each is awaited before the scenario ends; one that could not be
// read is counted and printed.
const RECORD = process.env.PKTEST_HTTP_RECORD;
const pending = new Set();
let unrecorded = 0;
const KEPT = ['content-type', 'idempotency-key', 'last-event-id', 'authorization'];
// The request's headers the contract looks at; a bearer is kept as
// "Bearer (redacted)" so the check sees that one was sent.
function redact(headers = {}) {
  const out = {};
  for (const [k, v] of Object.entries(headers))
    if (KEPT.includes(k.toLowerCase())) out[k.toLowerCase()] = k.toLowerCase() === 'authorization' ? v.replace(/ .*/, ' (redacted)') : v;
  return out;
}
function appendRecord(entry) {
  if (RECORD) fs.appendFileSync(RECORD, JSON.stringify(entry) + '\n');
}
async function record(response) {
  const req = response.request();
  const url = new URL(req.url());
  if (!RECORD || url.origin !== BASE || !url.pathname.startsWith('/v1/')) return;
  // A stream is left out before anything of it is awaited: its headers'
  // extra information and its body come only when it ends, which may be
  // never.
  if ((response.headers()['content-type'] ?? '').startsWith('text/event-stream')) return;
  const headers = await response.allHeaders();
  let body;
  try {
    body = await response.text();
  } catch (e) {
    unrecorded++;
    console.error(`not recorded for the contract: ${req.method()} ${url.pathname}: ${e.message}`);
    return;
  }
  appendRecord({
    method: req.method(), path: url.pathname + url.search, request_headers: redact(await req.allHeaders()),
    request_body: req.postData() ?? '', status: response.status(), timed_out: false,
    response_headers: headers, response_body: body,
  });
}
// A browser on `path`: a phone (360x640, the place's position) unless
// `desktop`; every request and API exchange recorded.
export async function open({ path: at = '/', desktop = false, geolocation = { latitude: LAT, longitude: LON, accuracy: 10 },
  serviceWorkers = 'allow' } = {}) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  browsers.push(browser);
  const device = desktop
    ? { viewport: { width: 1280, height: 800 } }
    : { viewport: { width: 360, height: 640 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, geolocation,
        permissions: ['geolocation'] };
  const context = await browser.newContext({ ...device, locale: 'id-ID', timezoneId: 'Asia/Jakarta', serviceWorkers });
  context.setDefaultTimeout(WAIT);
  const page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => {
    pageErrors.push(e.message);
    console.error('page error:', e.message);
  });
  page.on('response', (r) => {
    const p = record(r).catch((e) => {
      unrecorded++;
      console.error(`not recorded for the contract: ${e.message}`);
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  });
  await page.goto(BASE + at);
  return { browser, context, page };
}

export async function staffLogin(page, pair) {
  const [name, password] = pair.split(':');
  await page.getByLabel('Nama pengguna').fill(name);
  await page.getByLabel('Kata sandi').fill(password);
  await page.getByRole('button', { name: 'Masuk' }).click();
}

export async function axe(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ['violations'] }),
  );
  const v = result.violations.map((x) => `${x.id}: ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  check(v.length === 0, `axe on ${name}: ${v.join(' | ')}`);
}
export async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${prefix}-${String(++shotN).padStart(2, "0")}-${name}.png`), fullPage: true });
  await axe(page, name);
}

export async function register(page, phone) {
  const before = codesFor(phone.slice(-6)).length;
  await page.getByLabel('Nomor HP aktif').fill(phone);
  await page.getByRole('button', { name: 'Kirim kode' }).click();
  await page.getByLabel('Kode 6 angka dari SMS').waitFor();
  const code = await lastCode(phone.slice(-6), before);
  await page.getByLabel('Kode 6 angka dari SMS').fill(code);
  await page.getByRole('button', { name: 'Mulai', exact: true }).click();
  // Her story first (issue 22 §5): home at once, no question before it.
  await page.getByRole('button', { name: 'Buat laporan' }).waitFor();
}
// The contact-safety choices inside the report's last step: any time, by
// phone (the desk's scenarios call at once).
export async function safety(page) {
  const box = page.getByTestId('safety-now');
  await box.getByText(/Petugas hanya akan menghubungi Anda pukul 08:00–17:00 WIB, lewat Telepon\. Jika tidak diubah, ini yang dipakai\./).waitFor();
  await box.getByRole('button', { name: 'Ubah jam dan cara' }).click();
  await box.getByLabel('Dari').selectOption('00:00');
  await box.getByLabel('Sampai').selectOption('23:59');
  await box.getByLabel('Telepon').check();
  await box.getByText(/pukul 00:00–23:59 WIB, lewat Telepon/).waitFor();
}
export const next = (page) => page.getByRole('button', { name: 'Lanjut' }).click();
export async function wizard(page, { location = false, shots = false } = {}) {
  const s = shots ? (n) => shot(page, n) : async () => undefined;
  await page.getByRole('button', { name: 'Buat laporan' }).click();
  await page.getByText('Langkah 1 dari 7').waitFor();
  await page.getByLabel('Untuk orang lain').check();
  await page.getByLabel('Hubungan Anda dengan korban').selectOption('tetangga');
  await s('wizard-who');
  await next(page);
  await page.getByText('Dipukul, ditendang').click();
  await s('wizard-what');
  await next(page);
  await page.getByLabel('Tanggal dan jam').fill('2026-11-27T20:00');
  await page.getByLabel('Saya tidak ingat pasti').check();
  await s('wizard-when');
  await next(page);
  await page.getByLabel('Kecamatan').selectOption('32.06.24');
  await page.getByLabel('Desa').selectOption('32.06.24.2001');
  await page.getByLabel('Jenis tempat').selectOption('rumah_tangga');
  if (location) {
    await page.getByRole('button', { name: 'Pakai lokasi saya' }).click();
    await page.getByRole('button', { name: 'Ya, pakai lokasi' }).click();
    await page.getByText('Lokasi dipilih').waitFor();
    await page.locator('.leaflet-container').waitFor();
  }
  await s('wizard-where');
  await next(page);
  await page.getByLabel('Hubungan pelaku dengan korban').selectOption('orang_tua');
  await s('wizard-who-did-it');
  await next(page);
  await page.getByLabel('Perempuan').check();
  await page.getByLabel('Umur (tahun)').fill('14');
  await page.getByLabel('Korban masih anak').check();
  await s('wizard-victim');
  await next(page);
  await page.getByLabel('Ya, dalam bahaya sekarang').check();
  await page.getByText('Jika Anda dalam bahaya sekarang, jangan menunggu laporan ini').waitFor();
  await helpShown(page);
  await page.getByLabel('Apa yang terjadi').fill('Tetangga saya sering dipukul ayah tirinya.');
  await safety(page);
  await s('wizard-danger');
}

// The ways out for a reporter in danger now, on the screen: one-tap calls
// to 112, 110 and SAPA 129 and WhatsApp SAPA 129 (the national numbers,
// there even without signal), and, with `office`, the office's own line
// (the deployment's, once the app has asked for it).
export async function helpShown(page, { office = false } = {}) {
  const want = [['Darurat 112', 'tel:112'], ['Polisi 110', 'tel:110'], ['SAPA 129', 'tel:129'],
    ['WhatsApp SAPA 129', 'https://wa.me/628111129129']];
  if (office) want.push(['Dinas Sosial 0265330010', 'tel:0265330010']);
  for (const [name, href] of want) {
    const link = page.getByRole('link', { name, exact: true }).first();
    await link.waitFor();
    check((await link.getAttribute('href')) === href, `${name} calls ${href}`);
  }
}

// Security review N5: by default no map (or anything else) makes a request
// outside our origin; a tile server would learn the places looked at.
export function originsOnly() {
  const others = requests.filter((u) => !u.startsWith(BASE + '/') && !u.startsWith('data:'));
  check(others.length === 0, `requests only to our origin (no tile server by default): ${others.join(', ')}`);
}

// ---- the scenarios --------------------------------------------------------------

// Runs `scenarios[process.argv[2]]`; exit 0 when every check held,
// otherwise the failed check is printed. Screenshots: <app>-<scenario>-NN-<screen>.png.
export async function run(app, scenarios) {
  const scenario = process.argv[2];
  prefix = `${app}-${scenario}`;
  await new Promise((r) => tiles.listen(TILE_PORT, '127.0.0.1', r));
  try {
    if (!scenarios[scenario]) throw new Error(`no scenario ${scenario}`);
    await scenarios[scenario]();
    check(pageErrors.length === 0, `no uncaught exception in the app: ${pageErrors.join(' | ')}`);
    // Each record is awaited, but not for ever: one still pending after
    // 10 s is counted as not recorded (and the scenario ends).
    const unfinished = await Promise.race([
      Promise.all([...pending]).then(() => 0),
      sleep(10000).then(() => pending.size),
    ]);
    if (unfinished) {
      unrecorded += unfinished;
      console.error(`web ${scenario}: ${unfinished} exchanges still unreadable after 10 s, not recorded`);
    }
    if (unrecorded) console.error(`web ${scenario}: ${unrecorded} exchanges could not be read for the contract`);
    console.log(`web ${scenario}: ok`);
    process.exitCode = 0;
  } catch (e) {
    console.error(`web ${scenario}: ${e.stack ?? e}`);
    // What each browser showed when it failed, to look at.
    let n = 0;
    for (const b of browsers)
      for (const c of b.contexts())
        for (const p of c.pages())
          await p.screenshot({ path: path.join(SHOTS, `${prefix}-failed-${++n}.png`), fullPage: true }).catch(() => undefined);
    process.exitCode = 1;
  } finally {
    for (const b of browsers) await b.close().catch(() => undefined);
    tiles.close();
    process.exit(process.exitCode);
  }
}
