// check.mjs -- what can be checked of the Play Store release here, without
// the Android SDK (see README.md): the TWA manifest against the service's
// settings and the web manifest, the icons' sizes, and, given a keystore,
// that /.well-known/assetlinks.json names its certificate.
//
//   node deploy/android/check.mjs [--keystore FILE --storepass PASS --alias NAME] [--assetlinks URL]
// Exit 0 when every check held; each failure is printed.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
let failed = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed++;
};

// A PNG's width and height (its IHDR chunk).
const pngSize = (file) => {
  const b = fs.readFileSync(file);
  return b.toString('latin1', 1, 4) === 'PNG' ? [b.readUInt32BE(16), b.readUInt32BE(20)] : [0, 0];
};

const twa = JSON.parse(fs.readFileSync(path.join(root, 'deploy/android/twa-manifest.json'), 'utf8'));
const main = fs.readFileSync(path.join(root, 'services/intake/intake_settings.c'), 'utf8');
const pkg = /"PELUKAN_INTAKE_ANDROID_PACKAGE", PK_CFG_STRING, "([^"]+)"/.exec(main)?.[1];
check(twa.packageId === pkg, `packageId ${twa.packageId} is intake's PELUKAN_INTAKE_ANDROID_PACKAGE default (${pkg})`);
check(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(twa.packageId), 'packageId is a Java package name');
check(twa.startUrl === '/' && twa.fullScopeUrl === `https://${twa.host}/`, 'start URL and scope are the origin');
check(twa.enableNotifications === false, 'no notification permission asked (a reporter\'s phone may be read by others)');
for (const [file, size] of [
  ['web/public/icon-512.png', 512],
  ['web/public/icon-192.png', 192],
  ['web/public/icon-maskable-512.png', 512],
  ['web/public/icon-maskable-192.png', 192],
]) {
  const [w, h] = pngSize(path.join(root, file));
  check(w === size && h === size, `${file} is ${size}x${size} (${w}x${h})`);
}
check(twa.iconUrl.endsWith('/icon-512.png') && twa.maskableIconUrl.endsWith('/icon-maskable-512.png'), 'the icons are the app\'s');

const vite = fs.readFileSync(path.join(root, 'web/vite.config.ts'), 'utf8');
check(vite.includes("purpose: 'maskable'") && vite.includes('/icon-maskable-512.png'), 'the web manifest has the maskable icon');
check(vite.toLowerCase().includes(`theme_color: '${twa.themeColor.toLowerCase()}'`), `theme colour ${twa.themeColor} as the web app's`);

const listing = fs.readFileSync(path.join(root, 'deploy/android/store-listing-id.md'), 'utf8');
const short = /\*\*Deskripsi singkat \(80\):\*\* (.*)/.exec(listing)?.[1] ?? '';
check(short.length > 0 && short.length <= 80, `the short description fits Play's 80 characters (${short.length})`);
const name = /\*\*Nama aplikasi \(30\):\*\* (.*)/.exec(listing)?.[1] ?? '';
check(name.length > 0 && name.length <= 30, `the app name fits Play's 30 characters (${name.length})`);

if (args.keystore) {
  const out = execFileSync('keytool', ['-list', '-v', '-keystore', args.keystore, '-storepass', args.storepass, '-alias', args.alias], {
    encoding: 'utf8',
  });
  const fp = /SHA256: ([0-9A-F:]{95})/.exec(out)?.[1];
  check(Boolean(fp), `the keystore's SHA-256: ${fp}`);
  console.log(`     set PELUKAN_INTAKE_ANDROID_CERT_SHA256=${fp} (and Play's app signing key, comma-separated)`);
  if (args.assetlinks) {
    const links = JSON.parse(execFileSync('curl', ['-sf', args.assetlinks], { encoding: 'utf8' }));
    const t = links[0]?.target ?? {};
    check(t.package_name === twa.packageId, `assetlinks names ${twa.packageId}`);
    check((t.sha256_cert_fingerprints ?? []).includes(fp), 'assetlinks names the keystore\'s certificate');
  }
}
console.log(failed ? `${failed} check(s) failed` : 'android: every check held');
process.exit(failed ? 1 : 0);
