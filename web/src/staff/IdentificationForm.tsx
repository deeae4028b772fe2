// The identification report as a form: the situation, the needs, the
// consent per agency, the child's guardian situation and sealed notes. The
// draft stays on the phone (drafts.ts) until the report is accepted; sent
// again after a lost connection with the same Idempotency-Key.
import { useEffect, useState } from 'preact/hooks';
import { api, HttpError, OfflineError } from '../shared/api/client';
import type { StaffLang } from './i18n';
import type { T } from './common';
import { catalogCodes, codes, loadCatalogWords, word } from './words';
import type { Visit } from './types';
import { draftKey, loadDraft, type IdentDraft } from './drafts';
const AGENCIES = codes('agency');
const GUARDIAN = codes('guardian');

export function IdentificationForm(props: { t: T; lang: StaffLang; token: string; visit: Visit; done: () => void }) {
  const { t, lang } = props;
  const [d, setD] = useState<IdentDraft>(() => loadDraft(props.visit.visit_id));
  const [, setWords] = useState(0);
  useEffect(() => void loadCatalogWords().then(() => setWords(1)), []);
  const [status, setStatus] = useState<string | null>(null);
  const update = (next: IdentDraft) => {
    setD(next);
    localStorage.setItem(draftKey(props.visit.visit_id), JSON.stringify(next));
  };
  const toggle = (list: string[], v: string, on: boolean) => (on ? [...list, v] : list.filter((x) => x !== v));
  const send = async () => {
    const body = {
      situation_confirmed: d.situation_confirmed,
      immediate_danger: d.immediate_danger,
      needs: d.needs,
      recommended_agencies: d.consented_agencies,
      referral_consent: d.consented_agencies.length > 0,
      consented_agencies: d.consented_agencies,
      guardian_situation: d.guardian_situation,
      ...(d.notes ? { notes: d.notes } : {}),
    };
    try {
      await api('POST', `/v1/companion/visits/${props.visit.visit_id}/identification`, {
        token: props.token,
        body,
        headers: { 'idempotency-key': d.key },
      });
      localStorage.removeItem(draftKey(props.visit.visit_id));
      setStatus(t('c_ident_ok'));
      props.done();
    } catch (x) {
      if (x instanceof OfflineError) setStatus(t('c_ident_offline'));
      else setStatus(x instanceof HttpError ? x.error.message : t('offline'));
    }
  };
  return (
    <form
      class="ident"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <h3>{t('c_ident')}</h3>
      <label class="choice">
        <input type="checkbox" checked={d.situation_confirmed} onChange={(e) => update({ ...d, situation_confirmed: (e.target as HTMLInputElement).checked })} />
        {t('c_confirmed')}
      </label>
      <label class="choice">
        <input type="checkbox" checked={d.immediate_danger} onChange={(e) => update({ ...d, immediate_danger: (e.target as HTMLInputElement).checked })} />
        {t('c_danger')}
      </label>
      <fieldset>
        <legend>{t('c_needs')}</legend>
        {catalogCodes('need').map((n) => (
          <label class="choice" key={n}>
            <input type="checkbox" checked={d.needs.includes(n)} onChange={(e) => update({ ...d, needs: toggle(d.needs, n, (e.target as HTMLInputElement).checked) })} />
            {word('need', n, lang)}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>{t('c_consent')}</legend>
        {AGENCIES.map((a) => (
          <label class="choice" key={a}>
            <input
              type="checkbox"
              checked={d.consented_agencies.includes(a)}
              onChange={(e) => update({ ...d, consented_agencies: toggle(d.consented_agencies, a, (e.target as HTMLInputElement).checked) })}
            />
            {word('agency', a, lang)}
          </label>
        ))}
      </fieldset>
      <label for="guardian">{t('c_guardian')}</label>
      <select id="guardian" value={d.guardian_situation} onChange={(e) => update({ ...d, guardian_situation: (e.target as HTMLSelectElement).value })}>
        {GUARDIAN.map((g) => (
          <option key={g} value={g}>
            {word('guardian', g, lang)}
          </option>
        ))}
      </select>
      <label for="ident-notes">{t('notes_sealed')}</label>
      <textarea id="ident-notes" value={d.notes} onInput={(e) => update({ ...d, notes: (e.target as HTMLTextAreaElement).value })} />
      <p class="status" role="status">
        {status ?? ''}
      </p>
      <button type="submit" class="primary">
        {t('c_ident_send')}
      </button>
    </form>
  );
}
