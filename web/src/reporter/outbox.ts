// Reports waiting for signal. A report is put in the queue (with its
// Idempotency-Key) before the first try, so that a closed tab or a lost
// connection loses nothing; it is sent again with backoff, when the phone
// comes back online and when the app is opened again. The key makes every
// retry the same request: the server never makes a second case.
import { api, HttpError, OfflineError, type CaseSummary, type ReportBody } from '../shared/api/client';
import { store, type Pending } from './store';

export type Outcome =
  | { kind: 'sent'; summary: CaseSummary }
  | { kind: 'waiting' }
  | { kind: 'invalid'; fields: Record<string, string> }
  | { kind: 'limited'; wait: number }
  | { kind: 'session' }
  | { kind: 'error' };

const listeners = new Set<() => void>();
export function onQueueChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
function changed(): void {
  listeners.forEach((fn) => fn());
}

function backoff(attempts: number): number {
  const base = Math.min(300_000, 2000 * 2 ** Math.min(attempts, 8));
  return base / 2 + Math.random() * (base / 2);
}

async function sendOne(p: Pending): Promise<Outcome> {
  const token = store.token();
  if (!token) return { kind: 'session' };
  try {
    const { data } = await api<CaseSummary>('POST', '/v1/reports', {
      token,
      body: p.body,
      headers: { 'idempotency-key': p.key },
    });
    store.setPending(store.pending().filter((q) => q.key !== p.key));
    store.setLastSent({ caseId: data.case_id, ticket: data.ticket, at: data.created_at });
    const loc = p.body.location;
    if (loc && typeof loc.lat === 'number' && typeof loc.lon === 'number')
      store.setPlace(data.case_id, { lat: loc.lat, lon: loc.lon });
    changed();
    return { kind: 'sent', summary: data };
  } catch (e) {
    if (e instanceof HttpError && e.status === 422) {
      store.setPending(store.pending().filter((q) => q.key !== p.key));
      changed();
      return { kind: 'invalid', fields: e.error.fields ?? {} };
    }
    if (e instanceof HttpError && e.status === 429) {
      store.setPending(store.pending().filter((q) => q.key !== p.key));
      changed();
      return { kind: 'limited', wait: e.retryAfter };
    }
    if (e instanceof HttpError && e.status === 401) return { kind: 'session' };
    if (e instanceof OfflineError || (e instanceof HttpError && (e.status >= 500 || e.status === 409))) {
      const queue = store.pending().map((q) =>
        q.key === p.key ? { ...q, attempts: q.attempts + 1, nextAt: Date.now() + backoff(q.attempts) } : q,
      );
      store.setPending(queue);
      changed();
      schedule();
      return { kind: 'waiting' };
    }
    return { kind: 'error' };
  }
}

export async function submit(body: ReportBody, key: string): Promise<Outcome> {
  if (!store.pending().some((q) => q.key === key))
    store.setPending([...store.pending(), { key, body, attempts: 0, nextAt: 0 }]);
  changed();
  const p = store.pending().find((q) => q.key === key);
  return p ? sendOne(p) : { kind: 'error' };
}

let timer: ReturnType<typeof setTimeout> | undefined;
let flushing = false;
function schedule(): void {
  const q = store.pending();
  if (timer) clearTimeout(timer);
  if (!q.length) return;
  const next = Math.min(...q.map((p) => p.nextAt));
  timer = setTimeout(() => void flush(), Math.max(500, next - Date.now()));
}

// Sends what is due (all of it when `now` is set: the phone is back online).
export async function flush(now = false): Promise<void> {
  if (flushing) return;
  flushing = true;
  try {
    for (const p of store.pending()) {
      if (!now && p.nextAt > Date.now()) continue;
      const r = await sendOne(p);
      if (r.kind === 'waiting' || r.kind === 'session') break;
    }
  } finally {
    flushing = false;
    schedule();
  }
}

export function startQueue(): void {
  window.addEventListener('online', () => void flush(true));
  void flush(true);
}
