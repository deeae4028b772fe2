// What the staff screens share: the session, the text function, and how a
// failed call is said.
import { HttpError, OfflineError } from '../shared/api/client';
import type { StaffKey } from './i18n';

export interface Session {
  token: string;
  role: string;
  name: string;
}
export type T = (k: StaffKey, v?: Record<string, string | number>) => string;

// A failed call in words; a 401 ends the session (the caller's `expired`).
export function failure(t: T, x: unknown, expired: () => void): string {
  if (x instanceof HttpError && x.status === 401) {
    expired();
    return t('expired');
  }
  if (x instanceof OfflineError) return t('offline');
  if (!(x instanceof HttpError)) return t('error', { msg: String(x) });
  // A refused field says why (a new password too easy to guess, say).
  const fields = x.status === 422 ? ((x.error.fields as Record<string, unknown> | undefined) ?? {}) : {};
  const why = Object.values(fields).filter((v) => typeof v === 'string');
  return t('error', { msg: why.length ? `${x.error.message}: ${why.join('; ')}` : x.error.message });
}

export const value = (e: Event) => (e.target as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement).value;
export const checked = (e: Event) => (e.target as HTMLInputElement).checked;

// The staff session, in sessionStorage only: gone when the tab closes.
export const session = {
  get: (): Session | null => JSON.parse(sessionStorage.getItem('pk.staff') ?? 'null'),
  set: (x: Session | null) => (x ? sessionStorage.setItem('pk.staff', JSON.stringify(x)) : sessionStorage.removeItem('pk.staff')),
};
