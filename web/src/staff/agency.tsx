// The agency's inbox: the referrals to this agency only (the server picks
// them by the officer's account): accept, decline with a reason,
// follow-ups, close with an outcome; after acceptance the case's details,
// and its personal data behind a stated purpose (the opening recorded).
import { useEffect, useState } from 'preact/hooks';
import { api, type Schemas } from '../api/client';
import type { StaffLang } from './i18n';
import { CodeSelect } from './ui';
import { Personal } from './case';
import { failure, value, type T } from './common';
import { when, word } from './words';

type Referral = Schemas['Referral'];
type CaseDetail = Schemas['CaseDetail'];

export function Inbox(props: { t: T; lang: StaffLang; token: string; expired: () => void }) {
  const { t, lang } = props;
  const [refs, setRefs] = useState<Referral[] | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const load = async () => {
    try {
      const { data } = await api<{ referrals: Referral[] }>('GET', '/v1/agency/referrals', { token: props.token });
      setRefs(data.referrals);
    } catch (x) {
      setMsg(failure(t, x, props.expired));
    }
  };
  useEffect(() => {
    void load();
    const id = setInterval(() => void load(), 5000);
    return () => clearInterval(id);
  }, []);
  const act = async (r: Referral, what: string, body?: unknown) => {
    try {
      await api('POST', `/v1/agency/referrals/${r.referral_id}/${what}`, { token: props.token, body });
      setMsg(t('done'));
      await load();
    } catch (x) {
      setMsg(failure(t, x, props.expired));
    }
  };
  return (
    <div>
      <p class="status" role="status" data-testid="inbox-status">
        {msg ?? ''}
      </p>
      {refs && !refs.length && <p>{t('inbox_empty')}</p>}
      <ul class="list">
        {(refs ?? []).map((r) => (
          <li key={r.referral_id} class="referral card" data-referral={r.referral_id} data-state={r.state}>
            <h2>
              {t('referral_of', { at: when(r.created_at_us / 1000, lang) })} — <span data-testid="referral-state">{word('referral', r.state, lang)}</span>
            </h2>
            <p>
              {r.urgent && <strong class="tag">{t('urgent')}</strong>} {t('services')}: {r.services.map((s) => word('service', s, lang)).join(', ')} ·{' '}
              {t('ref_reason')}: {word('referral_reason', r.reason_code, lang)}
              {r.legal_basis_code ? ` · ${t('legal_basis')}: ${word('legal_basis', r.legal_basis_code, lang)}` : ''}
            </p>
            {r.state === 'sent' && (
              <p>
                {t('answer_by', { at: when(r.due_at_us / 1000, lang) })} {r.overdue && <strong class="tag">{t('overdue')}</strong>}
              </p>
            )}
            {r.state === 'sent' && <Answer t={t} lang={lang} id={r.referral_id} act={(what, body) => act(r, what, body)} />}
            {(r.state === 'accepted' || r.state === 'in_service') && (
              <Serve t={t} lang={lang} r={r} act={(what, body) => act(r, what, body)} />
            )}
            {r.state !== 'sent' && r.state !== 'declined' && <CaseView t={t} lang={lang} token={props.token} id={r.case_id} expired={props.expired} />}
          </li>
        ))}
      </ul>
    </div>
  );
}

type Act = (what: string, body?: unknown) => Promise<void>;

function Answer(props: { t: T; lang: StaffLang; id: string; act: Act }) {
  const { t, lang } = props;
  const [reason, setReason] = useState('out_of_scope');
  return (
    <div class="actions">
      <button type="button" class="primary" onClick={() => void props.act('accept')}>
        {t('accept')}
      </button>
      <label for={`decline-${props.id}`}>{t('decline_reason')}</label>
      <CodeSelect id={`decline-${props.id}`} value={reason} onChange={(e) => setReason(value(e))} list="agency_decline" lang={lang} />
      <button type="button" class="danger" onClick={() => void props.act('decline', { reason_code: reason })}>
        {t('decline')}
      </button>
    </div>
  );
}

function Serve(props: { t: T; lang: StaffLang; r: Referral; act: Act }) {
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

// The case as the agency may see it once it accepted: codes without a
// purpose, personal data with one.
function CaseView(props: { t: T; lang: StaffLang; token: string; id: string; expired: () => void }) {
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
      {p && <Personal t={t} p={p} />}
    </div>
  );
}
