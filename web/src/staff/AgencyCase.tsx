// The case as the agency may see it once it accepted: codes without a
// purpose, personal data with one.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../shared/api/client';
import type { StaffLang } from './i18n';
import { CodeSelect } from './CodeSelect';
import { failure, value, type T } from './common';
import { word } from './words';
import type { CaseDetail } from './types';
import { PersonalData } from './PersonalData';
import { SealedNotes } from './SealedNotes';

export function AgencyCase(props: { t: T; lang: StaffLang; token: string; id: string; expired: () => void }) {
  const { t, lang } = props;
  const [c, setC] = useState<CaseDetail | null>(null);
  const [purpose, setPurpose] = useState('follow_up');
  const [msg, setMsg] = useState<string | null>(null);
  const get = async (withPurpose?: string) => {
    try {
      const q = withPurpose ? `?purpose=${withPurpose}` : '';
      const { data } = await api<CaseDetail>('GET', `/v1/staff/cases/${props.id}${q}`, { token: props.token });
      setC(data);
    } catch (x) {
      setMsg(failure(t, x, props.expired));
    }
  };
  useEffect(() => void get(), []);
  if (!c) return <p class="status">{msg ?? ''}</p>;
  const p = c.personal;
  return (
    <div class="caseview">
      <h3>{t('case', { ticket: c.ticket })}</h3>
      <p>
        {c.child && <span class="tag">{t('child')}</span>} {c.violence_forms.map((f) => word('violence_form', f, lang)).join(', ')} ·{' '}
        {word('state', c.state, lang)}
      </p>
      {c.identification && c.identification.needs.length > 0 && (
        <p>{t('needs', { list: c.identification.needs.map((n) => word('need', n, lang)).join(', ') })}</p>
      )}
      {!p && (
        <div>
          <p class="hint">{t('personal_why')}</p>
          <label for={`purpose-${c.case_id}`}>{t('purpose')}</label>
          <CodeSelect id={`purpose-${c.case_id}`} value={purpose} onChange={(e) => setPurpose(value(e))} list="purpose" lang={lang} />
          <button type="button" onClick={() => void get(purpose)}>
            {t('show_personal')}
          </button>
        </div>
      )}
      {p && <PersonalData t={t} lang={lang} p={p} />}
      <h4>{t('notes_follow_up')}</h4>
      <SealedNotes t={t} lang={lang} token={props.token} id={c.case_id} sources={['follow-ups']} expired={props.expired} />
    </div>
  );
}
