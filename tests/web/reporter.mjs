// reporter.mjs -- the reporter's app in Debian's Chromium (headless, driven
// by playwright-core) against the real services that tests/e2e/test_web.c
// started. One scenario per run:
//
//   node tests/web/reporter.mjs journey|offline|errors|exit|languages
//
// Environment: PK_BASE (intake), PK_SINK (notification's sink file, where
// the SMS codes land), PK_TILE_PORT (the tile stand-in this script serves),
// PK_SHOTS (screenshots), PK_ADMIN / PK_COMPANION ("login:password").
// Exit 0 when every check held; otherwise the failed check is printed.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const BASE = process.env.PK_BASE;
const SINK = process.env.PK_SINK;
const TILE_PORT = Number(process.env.PK_TILE_PORT);
const SHOTS = process.env.PK_SHOTS;
const scenario = process.argv[2];
const LAT = -7.3512, LON = 108.1012; // the place, in Singaparna

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
async function call(method, p, token, body) {
  const res = await fetch(BASE + p, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}
async function login(pair) {
  const [login, password] = pair.split(':');
  const r = await call('POST', '/v1/staff/login', null, { login, password });
  check(r.status === 200, `staff login ${login}: ${r.status}`);
  return r.json.token;
}
async function lastCode(phoneTail) {
  for (let i = 0; i < 100; i++) {
    const lines = fs.existsSync(SINK) ? fs.readFileSync(SINK, 'utf8').trim().split('\n') : [];
    for (const l of lines.reverse()) {
      if (!l) continue;
      const m = JSON.parse(l);
      const code = /(\d{6})/.exec(m.text ?? '');
      if (code && m.to && m.to.endsWith(phoneTail)) return code[1];
    }
    await sleep(100);
  }
  throw new Error('no code in the sink');
}

// ---- the browser --------------------------------------------------------------
const requests = [];
let shotN = 0;
const browsers = [];
// The app's exchanges with the API join the suites' record for the
// contract check (tools/contract), streams left out.
const RECORD = process.env.PKTEST_HTTP_RECORD;
async function record(response) {
  const req = response.request();
  const url = new URL(req.url());
  if (!RECORD || url.origin !== BASE || !url.pathname.startsWith('/v1/')) return;
  const headers = await response.allHeaders();
  if ((headers['content-type'] ?? '').startsWith('text/event-stream')) return;
  let body = '';
  try {
    body = await response.text();
  } catch {
    return;
  }
  const rq = await req.allHeaders();
  fs.appendFileSync(RECORD, JSON.stringify({
    method: req.method(), path: url.pathname + url.search,
    request_headers: Object.fromEntries(Object.entries(rq).filter(([k]) => ['content-type', 'idempotency-key', 'last-event-id'].includes(k))),
    request_body: req.postData() ?? '', status: response.status(), timed_out: false,
    response_headers: headers, response_body: body,
  }) + '\n');
}
// A browser on `path`: a phone (360x640, the place's position) unless
// `desktop`; every request and API exchange recorded.
async function open({ path: at = '/', desktop = false, geolocation = { latitude: LAT, longitude: LON, accuracy: 10 },
  serviceWorkers = 'allow' } = {}) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  browsers.push(browser);
  const device = desktop
    ? { viewport: { width: 1280, height: 800 } }
    : { viewport: { width: 360, height: 640 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, geolocation,
        permissions: ['geolocation'] };
  const context = await browser.newContext({ ...device, locale: 'id-ID', timezoneId: 'Asia/Jakarta', serviceWorkers });
  const page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => console.error('page error:', e.message));
  page.on('response', (r) => void record(r).catch(() => undefined));
  await page.goto(BASE + at);
  return { browser, context, page };
}

async function staffLogin(page, pair) {
  const [name, password] = pair.split(':');
  await page.getByLabel('Nama pengguna').fill(name);
  await page.getByLabel('Kata sandi').fill(password);
  await page.getByRole('button', { name: 'Masuk' }).click();
}

async function axe(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ['violations'] }),
  );
  const v = result.violations.map((x) => `${x.id}: ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  check(v.length === 0, `axe on ${name}: ${v.join(' | ')}`);
}
async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `reporter-${scenario}-${String(++shotN).padStart(2, "0")}-${name}.png`), fullPage: true });
  await axe(page, name);
}

async function register(page, phone) {
  await page.getByLabel('Nomor HP aktif').fill(phone);
  await page.getByRole('button', { name: 'Kirim kode' }).click();
  await page.getByLabel('Kode 6 angka dari SMS').waitFor();
  const code = await lastCode(phone.slice(-6));
  await page.getByLabel('Kode 6 angka dari SMS').fill(code);
  await page.getByRole('button', { name: 'Masuk' }).click();
  await page.getByRole('heading', { name: 'Kapan aman menghubungi Anda?' }).waitFor();
}
async function safety(page) {
  await page.getByLabel('Dari').selectOption('00:00');
  await page.getByLabel('Sampai').selectOption('23:59');
  await page.getByLabel('Telepon').check();
  await page.getByRole('button', { name: 'Simpan' }).click();
  await page.getByRole('button', { name: 'Buat laporan' }).waitFor();
}
const next = (page) => page.getByRole('button', { name: 'Lanjut' }).click();
async function wizard(page, { location = false, shots = false } = {}) {
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
  await page.getByLabel('Apa yang terjadi').fill('Tetangga saya sering dipukul ayah tirinya.');
  await s('wizard-danger');
}

function originsOnly() {
  const tile = `http://127.0.0.1:${TILE_PORT}/`;
  const others = requests.filter((u) => !u.startsWith(BASE + '/') && !u.startsWith(tile) && !u.startsWith('data:'));
  check(others.length === 0, `requests only to our origin and the tile server: ${others.join(', ')}`);
}

// ---- the scenarios --------------------------------------------------------------

async function journey() {
  const { browser, page } = await open();
  await shot(page, 'register');
  await register(page, '081388880001');
  await shot(page, 'first-run-safety');
  await safety(page);
  await shot(page, 'home');
  await wizard(page, { location: true, shots: true });
  await page.getByRole('button', { name: 'Kirim laporan' }).click();
  await page.getByRole('heading', { name: 'Laporan terkirim' }).waitFor();
  const ticket = (await page.getByText(/Nomor laporan: PK-/).textContent()).split(': ')[1];
  await shot(page, 'sent');
  check(!(await page.title()).includes(ticket), 'nothing personal in the title');

  // The admin confirms by phone and verifies, through the API.
  const admin = await login(process.env.PK_ADMIN);
  const q = await call('GET', '/v1/staff/cases?state=submitted', admin);
  const c = q.json.cases.find((x) => x.ticket === ticket);
  check(c, `the case ${ticket} is in the queue`);
  check((await call('GET', `/v1/staff/cases/${c.case_id}?purpose=confirmation_call`, admin)).status === 200, 'opened');
  check((await call('POST', `/v1/staff/cases/${c.case_id}/calls`, admin, { outcome: 'reached' })).status === 200, 'call');
  check((await call('POST', `/v1/staff/cases/${c.case_id}/verify`, admin)).status === 200, 'verified');

  await page.getByRole('button', { name: 'Laporan saya' }).click();
  await page.getByText(ticket).waitFor();
  await page.getByText('Dipastikan petugas').waitFor();
  await shot(page, 'my-reports');
  await page.getByText(ticket).click();
  await page.getByRole('heading', { name: 'Riwayat' }).waitFor();
  await shot(page, 'report-detail');

  // A companion goes on duty, is assigned, accepts and leaves.
  const comp = await login(process.env.PK_COMPANION);
  check((await call('PUT', '/v1/companion/status', comp, { on_duty: true, sex: 'F' })).status === 200, 'on duty');
  const far = { lat: LAT + 0.03, lon: LON, accuracy_m: 8 };
  check((await call('POST', '/v1/companion/location', comp, far)).status === 204, 'ping');
  const status = await call('PUT', '/v1/companion/status', comp, { on_duty: true });
  const a = await call('POST', `/v1/staff/cases/${c.case_id}/assign`, admin, { companion_id: status.json.companion_id });
  check(a.status === 200, `assigned: ${a.status}`);
  check((await call('POST', `/v1/companion/visits/${a.json.visit_id}/accept`, comp)).status === 200, 'accepted');
  check((await call('POST', `/v1/companion/visits/${a.json.visit_id}/en-route`, comp)).status === 200, 'en route');
  await call('POST', '/v1/companion/location', comp, far);

  // The reporter watches the approach.
  for (let i = 0; i < 50; i++) {
    await page.getByRole('button', { name: 'Ke beranda' }).click();
    await page.getByRole('button', { name: 'Laporan saya' }).click();
    await page.getByText(ticket).click();
    if (await page.getByRole('button', { name: 'Lihat pendamping di peta' }).isVisible()) break;
    await sleep(300);
  }
  await page.getByRole('button', { name: 'Lihat pendamping di peta' }).click();
  await page.getByText(/Jarak .* km/).waitFor();
  await page.locator('.leaflet-container').waitFor();
  const first = await page.getByTestId('distance').textContent();
  await call('POST', '/v1/companion/location', comp, { lat: LAT + 0.01, lon: LON, accuracy_m: 8 });
  await page.waitForFunction((t) => document.querySelector('[data-testid=distance]')?.textContent !== t, first);
  const closer = await page.getByTestId('distance').textContent();
  check(/Jarak 1[.,]\d km/.test(closer), `closer: ${first} -> ${closer}`);
  check(await page.getByText(/Rina|petugas PDP-/).isVisible(), 'first name and badge shown');
  await shot(page, 'companion-approach');
  await call('POST', '/v1/companion/location', comp, { lat: LAT, lon: LON, accuracy_m: 8 });
  await page.getByText('Pendamping sudah tiba.').waitFor();
  await shot(page, 'companion-arrived');
  originsOnly();
  await browser.close();
}

async function offline() {
  const { browser, context, page } = await open();
  await register(page, '081388880002');
  await safety(page);
  // The draft survives a closed tab.
  await page.getByRole('button', { name: 'Buat laporan' }).click();
  await page.getByLabel('Untuk orang lain').check();
  await page.getByLabel('Hubungan Anda dengan korban').selectOption('tetangga');
  await next(page);
  await page.reload();
  await page.getByRole('button', { name: 'Buat laporan' }).click();
  await page.getByText('Langkah 2 dari 7').waitFor();
  await page.getByRole('button', { name: 'Kembali' }).click();
  check(await page.getByLabel('Untuk orang lain').isChecked(), 'the draft came back');
  await page.getByRole('button', { name: 'Ke beranda' }).click();
  await wizard(page);
  await context.setOffline(true);
  await page.getByRole('button', { name: 'Kirim laporan' }).click();
  await page.getByRole('heading', { name: 'Menunggu sinyal' }).waitFor();
  await page.getByText('tidak akan terkirim dua kali').waitFor();
  await shot(page, 'waiting-for-signal');
  await sleep(1500); // retries fail meanwhile
  await context.setOffline(false);
  await page.getByText('Laporan terkirim').waitFor({ timeout: 20000 });
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('pk.token')));
  await sleep(1000);
  const mine = await call('GET', '/v1/reports', token);
  check(mine.status === 200 && mine.json.reports.length === 1, `exactly one case: ${JSON.stringify(mine.json)}`);
  // Withdrawn with a confirmation.
  await page.getByRole('button', { name: 'Laporan saya' }).click();
  await page.getByText(mine.json.reports[0].ticket).click();
  await page.getByRole('button', { name: 'Tarik laporan' }).click();
  await page.getByText('Tarik laporan ini?').waitFor();
  await shot(page, 'withdraw-confirm');
  await page.getByRole('button', { name: 'Ya, tarik' }).click();
  await page.getByText('Ditarik').first().waitFor();
  check((await call('GET', `/v1/reports/${mine.json.reports[0].case_id}`, token)).json.state === 'withdrawn', 'withdrawn');
  originsOnly();
  await browser.close();
}

async function errors() {
  // The request is changed on its way by the test: requests a service
  // worker makes are out of its reach, so none here.
  const { browser, page } = await open({ serviceWorkers: 'block' });
  // A 429 shows the wait: the fourth code for a phone within the window.
  const phone = '081388880003';
  for (let i = 0; i < 3; i++) await call('POST', '/v1/auth/otp', null, { phone });
  await page.getByLabel('Nomor HP aktif').fill(phone);
  await page.getByRole('button', { name: 'Kirim kode' }).click();
  await page.getByRole('button', { name: /Kirim ulang dalam \d+ detik/ }).waitFor();
  const wait = Number((await page.getByRole('button', { name: /Kirim ulang dalam/ }).textContent()).match(/\d+/)[0]);
  check(wait > 60, `the wait the server gave (Retry-After): ${wait}`);
  await shot(page, 'code-rate-limited');
  await page.getByRole('button', { name: 'Ganti nomor' }).click();
  await register(page, '081388880004');
  await safety(page);
  // A 422 from the server lands on its field: the server refuses an age
  // the client let through (the request is changed on its way).
  await page.route('**/v1/reports', async (route) => {
    const body = JSON.parse(route.request().postData());
    body.victim.age = 130;
    await route.continue({ postData: JSON.stringify(body) });
  });
  await wizard(page);
  await page.getByRole('button', { name: 'Kirim laporan' }).click();
  await page.getByText('Langkah 6 dari 7').waitFor();
  const field = page.locator('[data-field="victim.age"]');
  check(await field.evaluate((el) => el.classList.contains('invalid')), 'the age field is marked');
  check(await page.getByLabel('Umur (tahun)').getAttribute('aria-invalid') === 'true', 'aria-invalid on the age');
  await shot(page, 'server-422-on-its-field');
  await browser.close();
}

async function quickExit() {
  const { browser, page } = await open();
  await register(page, '081388880005');
  await safety(page);
  await page.getByRole('button', { name: 'Buat laporan' }).click();
  await page.getByLabel('Untuk orang lain').check();
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('pk.token')));
  check(token, 'signed in');
  await page.getByRole('button', { name: 'Keluar cepat' }).click();
  await page.waitForURL(BASE + '/neutral.html');
  check((await page.title()) === 'Resep Nasi Liwet', 'a neutral page');
  await shot(page, 'after-quick-exit');
  const left = await page.evaluate(async () => ({
    local: localStorage.length,
    session: sessionStorage.length,
    idb: (await indexedDB.databases()).length,
    caches: (await caches.keys()).length,
    sw: (await navigator.serviceWorker.getRegistrations()).length,
  }));
  check(left.local === 0 && left.session === 0 && left.idb === 0 && left.caches === 0 && left.sw === 0,
    `nothing left on the phone: ${JSON.stringify(left)}`);
  await sleep(300);
  check((await call('GET', '/v1/reports', token)).status === 401, 'the session ended on the server');
  await page.goBack().catch(() => undefined);
  await browser.close();
}

async function languages() {
  const { browser, page } = await open();
  await page.getByLabel('Bahasa').selectOption('en');
  await page.getByRole('heading', { name: 'Sign in with your phone number' }).waitFor();
  check((await page.evaluate(() => document.documentElement.lang)) === 'en', 'lang attribute');
  await shot(page, 'register-english');
  await page.getByLabel('Language').selectOption('su');
  await page.getByRole('heading', { name: 'Asup ku nomer HP' }).waitFor();
  await shot(page, 'register-sundanese');
  await page.getByLabel('Basa').selectOption('id');
  await register(page, '081388880006');
  await safety(page);
  await page.getByRole('button', { name: 'Pengaturan' }).click();
  await page.getByLabel(/Nama dan ikon samaran/).check();
  await shot(page, 'settings-neutral');
  check((await page.title()) === 'Catatan', `the neutral title: ${await page.title()}`);
  const href = await page.locator('#manifest').getAttribute('href');
  check(href === '/neutral.webmanifest', `the neutral manifest: ${href}`);
  const m = await (await fetch(BASE + href)).json();
  check(m.name === 'Catatan' && m.icons.every((i) => i.src.includes('neutral')), 'a neutral name and icon');
  const real = await (await fetch(BASE + '/manifest.webmanifest')).json();
  check(real.display === 'standalone' && real.icons.length >= 2, 'an installable manifest');
  await browser.close();
}

// ---- the staff's desk (issue 17, first part) ---------------------------------------
async function desk() {
  const { page } = await open({ path: '/staff/', desktop: true });
  await staffLogin(page, process.env.PK_ADMIN);
  await page.getByTestId('live').getByText('Langsung').waitFor();
  await shot(page, 'desk-empty');

  // A reporter sends a report (through the API): it appears without a reload.
  const phone = '081388880007';
  await call('POST', '/v1/auth/otp', null, { phone });
  const code = await lastCode(phone.slice(-6));
  const token = (await call('POST', '/v1/auth/otp/verify', null, { phone, code })).json.token;
  const report = {
    reporter: { kind: 'victim' }, victim: { sex: 'F', age: 16, name: 'Nama Rahasia' }, violence_forms: ['psikis'],
    location: { kecamatan_code: '32.06.24', address: 'Jalan Rahasia 9' }, urgent: true,
    contact_safety: { safe_hours: '00:00-23:59', safe_channel: 'call', phone_monitored: false },
  };
  const res = await fetch(BASE + '/v1/reports', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'desk-1' },
    body: JSON.stringify(report),
  });
  const ticket = (await res.json()).ticket;
  await page.locator(`tr[data-ticket="${ticket}"]`).waitFor({ timeout: 10000 });
  await shot(page, 'desk-new-report');

  await page.getByRole('button', { name: `Buka ${ticket}` }).click();
  await page.getByText(`Laporan ${ticket}`).waitFor();
  check(!(await page.getByText('Nama Rahasia').isVisible()), 'no personal data before a purpose');
  await page.getByLabel('Tujuan').selectOption('confirmation_call');
  await page.getByRole('button', { name: 'Tampilkan data pribadi' }).click();
  await page.getByTestId('safety').getByText('00:00-23:59').waitFor();
  check(await page.getByText('Nama Rahasia').isVisible(), 'personal data after the purpose');
  await shot(page, 'case-personal');
  await page.getByLabel('Hasil', { exact: true }).selectOption('reached');
  await page.getByRole('button', { name: 'Catat telepon' }).click();
  await page.getByText('Tersimpan').waitFor();
  await page.getByRole('button', { name: 'Verifikasi' }).click();
  await page.locator('[data-testid=case-state][data-state=verified]').waitFor();
  await shot(page, 'case-verified');
  await page.getByRole('button', { name: 'Keluar' }).click();
  await page.getByLabel('Nama pengguna').waitFor();
  const left = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length }));
  check(left.local === 0 && left.session === 0, `nothing left after logout: ${JSON.stringify(left)}`);
  originsOnly();
}

// ---- the companion's phone (issue 17, second part) -------------------------------
async function companion() {
  // A verified case, through the API.
  const admin = await login(process.env.PK_ADMIN);
  const phone = '081388880008';
  await call('POST', '/v1/auth/otp', null, { phone });
  const token = (await call('POST', '/v1/auth/otp/verify', null, { phone, code: await lastCode(phone.slice(-6)) })).json.token;
  const res = await fetch(BASE + '/v1/reports', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'comp-1' },
    body: JSON.stringify({
      reporter: { kind: 'victim' }, victim: { age: 30 }, violence_forms: ['fisik'],
      location: { lat: LAT, lon: LON, kecamatan_code: '32.06.24' },
      contact_safety: { safe_hours: '00:00-23:59', safe_channel: 'call', phone_monitored: false },
    }),
  });
  const caseId = (await res.json()).case_id;
  await call('GET', `/v1/staff/cases/${caseId}?purpose=confirmation_call`, admin);
  await call('POST', `/v1/staff/cases/${caseId}/calls`, admin, { outcome: 'reached' });
  check((await call('POST', `/v1/staff/cases/${caseId}/verify`, admin)).status === 200, 'verified');

  const { context, page } = await open({ path: '/staff/', geolocation: { latitude: LAT + 0.03, longitude: LON, accuracy: 8 } });
  await staffLogin(page, process.env.PK_COMPANION);
  await page.getByRole('button', { name: 'Mulai bertugas' }).click();
  await page.getByTestId('duty').getByText(/Terakhir:/).waitFor({ timeout: 15000 });
  await shot(page, 'companion-on-duty');

  // The admin sees the companion's position in the suggestion and assigns.
  const sug = await call('GET', `/v1/staff/cases/${caseId}/companions`, admin);
  const c = sug.json.companions.find((x) => x.position_known);
  check(c, `the phone's position reached dispatch: ${JSON.stringify(sug.json)}`);
  check((await call('POST', `/v1/staff/cases/${caseId}/assign`, admin, { companion_id: c.companion_id })).status === 200, 'assigned');

  await page.getByRole('button', { name: 'Terima' }).waitFor({ timeout: 15000 });
  await shot(page, 'companion-visit-assigned');
  await page.getByRole('button', { name: 'Terima' }).click();
  await page.locator('[data-testid=visit-state][data-state=accepted]').waitFor();
  await page.getByRole('button', { name: 'Buka tempat (dicatat)' }).click();
  await page.getByRole('link', { name: 'Buka di aplikasi peta' }).waitFor();
  check((await page.getByRole('link', { name: 'Buka di aplikasi peta' }).getAttribute('href')).startsWith('geo:-7.35'), 'a link for the map app');
  await page.getByRole('button', { name: 'Berangkat' }).click();
  await page.locator('[data-testid=visit-state][data-state=en_route]').waitFor();
  await page.getByTestId('duty').getByText(/setiap 5 detik/).waitFor();
  await context.setGeolocation({ latitude: LAT + 0.005, longitude: LON, accuracy: 8 });
  await shot(page, 'companion-en-route');
  await page.getByRole('button', { name: 'Sudah tiba' }).click();
  await page.getByRole('heading', { name: 'Laporan identifikasi' }).waitFor();
  await page.getByLabel('Perawatan kesehatan').check();
  await page.getByLabel('UPTD PPA').check();
  await page.getByLabel('Situasi wali (untuk anak)').selectOption('not_child');
  await page.getByLabel('Catatan (dirahasiakan)').fill('Catatan rahasia pendamping');
  await shot(page, 'companion-identification');
  // Sent without signal: kept; sent again: one report.
  await context.setOffline(true);
  await page.getByRole('button', { name: 'Kirim laporan identifikasi' }).click();
  await page.getByText('Tidak ada sinyal. Draf tersimpan').waitFor();
  const kept = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('pk.ident.')).length);
  check(kept === 1, 'the draft is kept on the phone');
  await context.setOffline(false);
  await page.getByRole('button', { name: 'Kirim laporan identifikasi' }).click();
  await page.getByText('Laporan identifikasi diterima').or(page.locator('[data-state=completed]')).first().waitFor({ timeout: 15000 });
  const left = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('pk.ident.')).length);
  check(left === 0, 'the draft is wiped once accepted');
  for (let i = 0; i < 50; i++) {
    const d = await call('GET', `/v1/staff/cases/${caseId}`, admin);
    if (d.json.state === 'assessed') break;
    await sleep(200);
  }
  check((await call('GET', `/v1/staff/cases/${caseId}`, admin)).json.state === 'assessed', 'the case is assessed');
  originsOnly();
}

const scenarios = { journey, offline, errors, exit: quickExit, languages, desk, companion };
await new Promise((r) => tiles.listen(TILE_PORT, '127.0.0.1', r));
try {
  await scenarios[scenario]();
  console.log(`web ${scenario}: ok`);
  process.exitCode = 0;
} catch (e) {
  console.error(`web ${scenario}: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  for (const b of browsers) await b.close().catch(() => undefined);
  tiles.close();
  process.exit(process.exitCode);
}
