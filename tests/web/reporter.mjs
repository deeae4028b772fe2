// reporter.mjs -- the reporter's app in a real browser (harness.mjs).
//
//   node tests/web/reporter.mjs journey|offline|errors|exit|languages
import { BASE, LAT, LON, call, check, helpShown, lastCode, login, next, open, originsOnly, register, reporter, shot, staffLogin, until, wizard, run } from './harness.mjs';

async function journey() {
  const { browser, page } = await open();
  await shot(page, 'register');
  await register(page, '081388880001');
  // The ways out are on the home screen, always, the office's line too.
  await helpShown(page, { office: true });
  await shot(page, 'home');
  await wizard(page, { location: true, shots: true });
  await page.getByRole('button', { name: 'Kirim laporan' }).click();
  await page.getByRole('heading', { name: 'Laporan terkirim' }).waitFor();
  const ticket = (await page.getByText(/Nomor laporan: PK-/).textContent()).split(': ')[1];
  // An urgent report: what happens next said plainly, not "within a day",
  // and the calls again.
  await page.getByText('Petugas sudah diberi tahu bahwa laporan ini darurat').waitFor();
  check(!(await page.getByText('dalam 1 hari').count()), 'an urgent report is not told "within a day"');
  await helpShown(page, { office: true });
  await shot(page, 'sent');
  check(!(await page.title()).includes(ticket), 'nothing personal in the title');
  // The choices she gave in the report's last step are her settings now
  // (issue 22 §5: asked there, never as a gate before her story).
  await page.getByRole('button', { name: 'Ke beranda' }).click();
  await page.getByRole('button', { name: 'Pengaturan' }).click();
  await page.getByRole('button', { name: 'Kapan aman menghubungi Anda?' }).click();
  check((await page.getByLabel('Dari').inputValue()) === '00:00' && (await page.getByLabel('Sampai').inputValue()) === '23:59',
    'her safe hours are kept from the report');
  await shot(page, 'settings-safety');
  await page.getByRole('button', { name: 'Simpan' }).click();
  await page.getByRole('button', { name: 'Buat laporan' }).waitFor();

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
  // The case is read when opened: opened again until the map is offered.
  await until(async () => {
    await page.getByRole('button', { name: 'Ke beranda' }).click();
    await page.getByRole('button', { name: 'Laporan saya' }).click();
    await page.getByText(ticket).click();
    await page.locator('p.ticket .state').waitFor();
    return page.getByRole('button', { name: 'Lihat pendamping di peta' }).isVisible();
  }, 'the reporter is offered the map');
  check(await page.evaluate(() => localStorage.getItem('pk.places') !== null), 'the place is kept while the visit lasts');
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
  // The visit is over: the phone no longer keeps the place (security review N9).
  check(await page.evaluate(() => localStorage.getItem('pk.places') === null), 'the place is dropped once the companion arrived');
  originsOnly();
  await browser.close();
}

async function offline() {
  const { browser, context, page } = await open();
  await register(page, '081388880002');
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
  let failedTries = 0;
  page.on('requestfailed', (r) => { if (r.method() === 'POST' && r.url().endsWith('/v1/reports')) failedTries++; });
  await page.getByRole('button', { name: 'Kirim laporan' }).click();
  await page.getByRole('heading', { name: 'Menunggu sinyal' }).waitFor();
  await page.getByText('tidak akan terkirim dua kali').waitFor();
  // Without signal, an urgent report still offers the calls (a call needs no data).
  await page.getByText('Laporan darurat Anda belum terkirim').waitFor();
  await helpShown(page);
  await shot(page, 'waiting-for-signal');
  await until(() => failedTries > 0, 'the app tried to send without signal, and failed');
  await context.setOffline(false);
  await page.getByText('Laporan terkirim').waitFor();
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('pk.token')));
  // Nothing left to send on the phone: no later copy can come from it.
  await until(() => page.evaluate(() => !JSON.parse(localStorage.getItem('pk.pending') ?? '[]').length),
    "the phone's queue is empty");
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
  await page.getByRole('button', { name: 'Buat laporan' }).click();
  await page.getByLabel('Untuk orang lain').check();
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('pk.token')));
  check(token, 'signed in');
  await page.getByRole('button', { name: 'Keluar cepat' }).click();
  await page.waitForURL(BASE + '/neutral.html');
  // The cover is painted at once; with signal the real cover page then
  // replaces it (its <main> has no class): waited for, not assumed.
  await until(async () => {
    try {
      return (await page.evaluate(() => document.readyState === 'complete' && !document.querySelector('main.cover')
        && document.title === 'Resep Nasi Liwet')) || null;
    } catch {
      return null; /* the page was navigating */
    }
  }, 'the real cover page replaced the painted one');
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
  await until(async () => (await call('GET', '/v1/reports', token)).status === 401, 'the session ended on the server');
  await page.goBack().catch(() => undefined);
  await browser.close();
}

// The quick exit without signal (issue 22 §5): the waiting screen warns
// that an unsent report goes with it; the cover is painted by the page
// itself (no network, no service worker), nothing is left on the phone, and
// the logout the server missed is sent when the signal returns.
async function exitOffline() {
  const { browser, context, page } = await open();
  await register(page, '081388880009');
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('pk.token')));
  await context.setOffline(true);
  await wizard(page);
  await page.getByRole('button', { name: 'Kirim laporan' }).click();
  await page.getByTestId('exit-discards').getByText('Keluar cepat sekarang akan menghapus laporan yang belum terkirim').waitFor();
  await shot(page, 'waiting-exit-warning');
  await page.getByRole('button', { name: 'Keluar cepat' }).click();
  await page.getByRole('heading', { name: 'Resep Nasi Liwet' }).waitFor();
  check((await page.title()) === 'Resep Nasi Liwet', `the cover's title: ${await page.title()}`);
  check(page.url() === BASE + '/neutral.html', `the cover's address: ${page.url()}`);
  await shot(page, 'quick-exit-offline');
  // The page itself is the cover while offline. Storage, caches and the
  // registration are gone now; the service worker, which lives on under the
  // cover, holds its background-sync database (emptied by the exit) until
  // the browser stops it, so IndexedDB is checked by the online exit only.
  const left = await page.evaluate(async () => ({
    local: localStorage.length,
    session: sessionStorage.length,
    caches: (await caches.keys()).length,
    sw: (await navigator.serviceWorker.getRegistrations()).length,
  }));
  check(left.local === 0 && left.session === 0 && left.caches === 0 && left.sw === 0, `nothing left on the phone: ${JSON.stringify(left)}`);
  await context.setOffline(false);
  await until(async () => (await call('GET', '/v1/reports', token)).status === 401, 'the logout went when the signal returned');
  // Then the real cover page replaces this one.
  await until(async () => {
    try {
      return (await page.evaluate(() => location.pathname === '/neutral.html' && document.title === 'Resep Nasi Liwet')) || null;
    } catch {
      return null; /* the page was navigating */
    }
  }, 'the cover page');
  // The report the quick exit discarded never reached the server: the
  // same phone signs in again and finds no report.
  const again = await reporter('081388880009');
  const mine = await call('GET', '/v1/reports', again);
  check(mine.status === 200 && mine.json.reports.length === 0, `the discarded report was not sent: ${JSON.stringify(mine.json)}`);
  await browser.close();
}

async function languages() {
  const { browser, page } = await open();
  await page.getByLabel('Bahasa').selectOption('en');
  await page.getByRole('heading', { name: 'Report with your phone number' }).waitFor();
  check((await page.evaluate(() => document.documentElement.lang)) === 'en', 'lang attribute');
  await shot(page, 'register-english');
  await page.getByLabel('Language').selectOption('su');
  await page.getByRole('heading', { name: 'Lapor ku nomer HP' }).waitFor();
  await shot(page, 'register-sundanese');
  await page.getByLabel('Basa').selectOption('id');
  await register(page, '081388880006');
  // The catalogue in Sundanese too, and the official categories in plain
  // words (issue 22 §5).
  await page.getByLabel('Bahasa').selectOption('su');
  await page.getByRole('button', { name: 'Jieun laporan' }).click();
  await page.locator('input[type=radio]').first().check(); // for herself
  await page.getByRole('button', { name: 'Teras' }).click();
  await page.getByText('Digebugan, ditajong, didorong, atawa dilukaan').waitFor();
  await page.getByText('Perdagangan jalma').waitFor();
  await shot(page, 'wizard-sundanese-catalogue');
  await page.getByLabel('Basa').selectOption('id');
  await page.getByText('Perdagangan orang').waitFor();
  // For herself: "Anda", never "korban"; the optional steps can be skipped.
  await page.getByText('Dipukul, ditendang').click();
  await page.getByRole('button', { name: 'Lanjut' }).click();
  await page.getByText('Langkah 3 dari 7').waitFor();
  await page.getByRole('button', { name: 'Lewati' }).click();
  await page.getByText('Langkah 4 dari 7').waitFor();
  await page.getByLabel('Kecamatan').selectOption('32.06.24');
  await page.getByRole('button', { name: 'Lanjut' }).click();
  await page.getByLabel('Hubungan pelaku dengan Anda').waitFor();
  await shot(page, 'wizard-for-herself');
  await page.getByRole('button', { name: 'Lewati' }).click();
  await page.getByRole('heading', { name: 'Tentang Anda' }).waitFor();
  await page.getByLabel('Saya masih anak (di bawah 18 tahun)').waitFor();
  await page.goto(BASE + '/');
  await page.getByRole('button', { name: 'Pengaturan' }).click();
  await page.getByLabel(/Nama dan ikon samaran/).check();
  await shot(page, 'settings-neutral');
  check((await page.title()) === 'Catatan', `the neutral title: ${await page.title()}`);
  const bar = await page.locator('meta[name="theme-color"]').getAttribute('content');
  check(bar === '#f2c94c', `the neutral colour of the browser's bar: ${bar}`);
  const href = await page.locator('#manifest').getAttribute('href');
  check(href === '/neutral.webmanifest', `the neutral manifest: ${href}`);
  const m = await (await fetch(BASE + href)).json();
  check(m.name === 'Catatan' && m.icons.every((i) => i.src.includes('neutral')), 'a neutral name and icon');
  const real = await (await fetch(BASE + '/manifest.webmanifest')).json();
  check(real.display === 'standalone' && real.icons.length >= 2, 'an installable manifest');
  await browser.close();
}

// ---- the staff's desk (issue 17, first part) ---------------------------------------
await run('reporter', { journey, offline, errors, exit: quickExit, exitOffline, languages });
