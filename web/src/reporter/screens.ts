// What the reporter's screens share: which screen is shown (one page whose
// address never changes: nothing personal reaches the browser's history),
// and the text function.
import type { Key } from './i18n';

export type Screen =
  | { name: 'register' }
  | { name: 'code'; phone: string; wait: number; request?: string }
  | { name: 'safety' }
  | { name: 'home' }
  | { name: 'wizard' }
  | { name: 'sent'; ticket: string; urgent: boolean }
  | { name: 'waiting'; urgent: boolean }
  | { name: 'mine' }
  | { name: 'detail'; id: string }
  | { name: 'companion'; id: string }
  | { name: 'settings' };

export type T = (key: Key, vars?: Record<string, string | number>) => string;
