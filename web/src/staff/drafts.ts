// The identification report's draft, kept on the companion's phone until
// it is accepted (localStorage), with the Idempotency-Key it is sent with.
export interface IdentDraft {
  key: string;
  situation_confirmed: boolean;
  immediate_danger: boolean;
  needs: string[];
  consented_agencies: string[];
  guardian_situation: string;
  notes: string;
}
export const draftKey = (visit: string) => `pk.ident.${visit}`;
export function loadDraft(visit: string): IdentDraft {
  const d = localStorage.getItem(draftKey(visit));
  if (d) return JSON.parse(d) as IdentDraft;
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return {
    key: Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''),
    situation_confirmed: true,
    immediate_danger: false,
    needs: [],
    consented_agencies: [],
    guardian_situation: 'not_child',
    notes: '',
  };
}
// Wiped on logout with everything else of this app.
export function wipeCompanionDrafts(): void {
  for (const k of Object.keys(localStorage)) if (k.startsWith('pk.ident.')) localStorage.removeItem(k);
}
