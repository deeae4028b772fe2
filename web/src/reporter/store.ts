// What the app keeps on the phone: the session, the settings, the report
// draft, the reports waiting for signal and the places of sent reports (for
// the companion's map). All of it in this origin's localStorage, under one
// prefix, and all of it wiped by the quick exit.
import type { Lang } from './i18n';
import type { ReportBody } from '../shared/api/client';

const P = 'pk.';

function get<T>(key: string, fallback: T): T {
  try {
    const v = localStorage.getItem(P + key);
    return v === null ? fallback : (JSON.parse(v) as T);
  } catch {
    return fallback;
  }
}
function set(key: string, value: unknown): void {
  if (value === undefined || value === null) localStorage.removeItem(P + key);
  else localStorage.setItem(P + key, JSON.stringify(value));
}

// When and how officers may contact her (sent with each report and from
// the settings; kept on the phone like the rest, wiped by the quick exit).
export interface Safety {
  safe_hours: string; // "HH:MM-HH:MM" WIB
  safe_channel: string;
  phone_monitored: boolean;
}
export const DEFAULT_SAFETY: Safety = { safe_hours: '08:00-17:00', safe_channel: 'call', phone_monitored: false };
export interface Settings {
  lang: Lang;
  neutral: boolean;
  safety?: Safety; // her last choices; unset: DEFAULT_SAFETY, said plainly in the report
}
export interface Draft {
  step: number;
  body: ReportBody;
  key: string; // the Idempotency-Key: one per report, kept across retries
}
export interface Pending {
  key: string;
  body: ReportBody;
  attempts: number;
  nextAt: number;
}
export interface Sent {
  caseId: string;
  ticket: string;
  at: string;
}

export const store = {
  token: (): string | null => get<string | null>('token', null),
  setToken: (t: string | null) => set('token', t),
  settings: (): Settings => get<Settings>('settings', { lang: 'id', neutral: false }),
  setSettings: (s: Settings) => set('settings', s),
  draft: (): Draft | null => get<Draft | null>('draft', null),
  setDraft: (d: Draft | null) => set('draft', d),
  pending: (): Pending[] => get<Pending[]>('pending', []),
  setPending: (p: Pending[]) => set('pending', p.length ? p : null),
  lastSent: (): Sent | null => get<Sent | null>('sent', null),
  setLastSent: (s: Sent | null) => set('sent', s),
  // The place of a sent report, for the companion's map: kept until the
  // visit ends (410), the session ends (401) or PLACE_DAYS pass, whichever
  // is first (security review N9: a phone that may be read by someone else
  // keeps a victim's exact place no longer than its use).
  place: (caseId: string): { lat: number; lon: number } | null => {
    const p = livePlaces()[caseId];
    return p ? { lat: p.lat, lon: p.lon } : null;
  },
  setPlace: (caseId: string, p: { lat: number; lon: number }) => set('places', { ...livePlaces(), [caseId]: { ...p, at: Date.now() } }),
  forgetPlace: (caseId: string) => {
    const { [caseId]: _gone, ...rest } = livePlaces();
    set('places', Object.keys(rest).length ? rest : null);
  },
  forgetPlaces: () => set('places', null),
};

const PLACE_DAYS = 3;
type KeptPlace = { lat: number; lon: number; at?: number };
// The places still worth keeping; the stale ones are dropped as they are read.
function livePlaces(): Record<string, KeptPlace> {
  const all = get<Record<string, KeptPlace>>('places', {});
  const keep = Object.fromEntries(Object.entries(all).filter(([, p]) => (p.at ?? 0) > Date.now() - PLACE_DAYS * 86400_000));
  if (Object.keys(keep).length !== Object.keys(all).length) set('places', Object.keys(keep).length ? keep : null);
  return keep;
}

export function newKey(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// The quick exit: everything this app left on the phone, gone. The
// session ends on the server too; when the server could not be reached,
// the answer is a function that sends the logout again (for when the signal
// returns), holding the token in memory only.
export async function wipeDevice(): Promise<(() => Promise<void>) | null> {
  const token = store.token();
  const logout = () =>
    fetch('/v1/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` }, keepalive: true }).then(
      (r) => (r.ok || r.status === 401 ? undefined : Promise.reject(new Error(String(r.status)))),
    );
  const sent = token ? Promise.race([logout().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 800))]) : Promise.resolve(true);
  try {
    localStorage.clear();
    sessionStorage.clear();
  } catch {
    /* nothing to clear */
  }
  const jobs: Promise<unknown>[] = [];
  if ('caches' in self) jobs.push(caches.keys().then((ks) => Promise.all(ks.map((k) => caches.delete(k)))));
  if (indexedDB.databases)
    jobs.push(
      indexedDB.databases().then((dbs) => Promise.all(dbs.map((d) => d.name && emptyThenDelete(d.name)))),
    );
  if (navigator.serviceWorker)
    jobs.push(navigator.serviceWorker.getRegistrations().then((rs) => Promise.all(rs.map((r) => r.unregister()))));
  await Promise.race([Promise.allSettled(jobs), new Promise((r) => setTimeout(r, 800))]);
  if (await sent) return null;
  const again = async (): Promise<void> => {
    for (let wait = 2000; ; wait = Math.min(wait * 2, 60000)) {
      if (await logout().then(() => true, () => false)) return;
      await new Promise((r) => setTimeout(r, wait));
    }
  };
  return again;
}

// A database emptied, then deleted. The service worker may still hold its
// background-sync queue open (it lives on while this page shows the cover):
// the deletion then waits for it to stop, but the queue is already empty,
// so no report the quick exit discarded is sent when the signal returns.
async function emptyThenDelete(name: string): Promise<void> {
  try {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(name);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const stores = Array.from(db.objectStoreNames);
    if (stores.length)
      await new Promise((done) => {
        const tx = db.transaction(stores, 'readwrite');
        stores.forEach((st) => tx.objectStore(st).clear());
        tx.oncomplete = tx.onerror = tx.onabort = () => done(undefined);
      });
    db.close();
  } catch {
    /* deleted below all the same */
  }
  indexedDB.deleteDatabase(name);
}
