// An accepted referral: follow-ups (service, next step, sealed notes), then the close with an outcome.
import { useState } from 'preact/hooks';
import type { StaffLang } from './i18n';
import { CodeSelect } from './CodeSelect';
import { value, type T } from './common';
import { word } from './words';
import type { Referral, Act } from './types';

export function ReferralService(props: { t: T; lang: StaffLang; r: Referral; act: Act }) {
  const { t, lang, r } = props;
  const [svc, setSvc] = useState(r.services[0] ?? 'pengaduan');
  const [next, setNext] = useState('continue_service');
  const [notes, setNotes] = useState('');
  const [outcome, setOutcome] = useState('services_completed');
  const id = r.referral_id;
  return (
    <div>
      <h3>{t('follow_up')}</h3>
      <p class="hint">{t('follow_ups_n', { n: r.follow_ups })}</p>
      <label for={`svc-${id}`}>{t('service')}</label>
      <select id={`svc-${id}`} value={svc} onChange={(e) => setSvc(value(e))}>
        {r.services.map((s) => (
          <option key={s} value={s}>
            {word('service', s, lang)}
          </option>
        ))}
      </select>
      <label for={`next-${id}`}>{t('next_step')}</label>
      <CodeSelect id={`next-${id}`} value={next} onChange={(e) => setNext(value(e))} list="next_step" lang={lang} />
      <label for={`notes-${id}`}>{t('notes_sealed')}</label>
      <textarea id={`notes-${id}`} maxLength={4000} value={notes} onInput={(e) => setNotes(value(e))} />
      <button
        type="button"
        class="primary"
        onClick={() => void props.act('follow-ups', { service_code: svc, next_step_code: next, ...(notes ? { notes } : {}) }).then(() => setNotes(''))}
      >
        {t('follow_up_save')}
      </button>
      <h3>{t('close')}</h3>
      <label for={`outcome-${id}`}>{t('outcome')}</label>
      <CodeSelect id={`outcome-${id}`} value={outcome} onChange={(e) => setOutcome(value(e))} list="outcome" lang={lang} />
      <button type="button" class="danger" onClick={() => void props.act('close', { outcome_code: outcome })}>
        {t('close')}
      </button>
    </div>
  );
}
