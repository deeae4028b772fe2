// A case on the admin's desk: its personal data behind a stated purpose
// (the opening is recorded), the confirmation call with the reporter's
// safety choices first, verify, reject, duplicate, notes; the companion
// suggested on a map, assigned and followed live until arrival; the
// referral with the consent the companion recorded; the timeline in words.
// Read again at every case event of the feed.
import { useEffect, useState } from 'preact/hooks';
import { api, HttpError } from '../shared/api/client';
import type { StaffLang } from './i18n';
import { CodeSelect } from './CodeSelect';
import { failure, value, type Session, type T } from './common';
import { kecamatanList, when, word } from './words';
import { Left } from './Desk';
import type { CaseDetail } from './types';
import { PersonalData } from './PersonalData';
import { ConfirmCall } from './ConfirmCall';
import { DuplicateSearch } from './DuplicateSearch';
import { CaseNote } from './CaseNote';
import { SuggestionMap } from './SuggestionMap';
import { VisitMap } from './VisitMap';
import { ReferralPanel } from './ReferralPanel';
import { CaseSummary } from './CaseSummary';
interface Props {
  t: T;
  lang: StaffLang;
  session: Session;
  id: string;
  tick: number;
  back: () => void;
  expired: () => void;
}

export function CasePage(props: Props) {
  const { t, lang } = props;
  const token = props.session.token;
  const admin = props.session.role === 'admin';
  const [c, setC] = useState<CaseDetail | null>(null);
  const [personal, setPersonal] = useState<CaseDetail['personal'] | null>(null);
  const [purpose, setPurpose] = useState('confirmation_call');
  const [status, setStatus] = useState<string | null>(null);
  const [kecName, setKecName] = useState<string | null>(null);
  const load = async () => {
    try {
      const { data } = await api<CaseDetail>('GET', `/v1/staff/cases/${props.id}`, { token });
      setC(data);
      const k = await kecamatanList();
      setKecName(k.find((x) => x.code === data.kecamatan_code)?.name ?? data.kecamatan_code ?? null);
    } catch (x) {
      setStatus(failure(t, x, props.expired));
    }
  };
  useEffect(() => void load(), [props.tick]);
  const openPersonal = async () => {
    try {
      const { data } = await api<CaseDetail>('GET', `/v1/staff/cases/${props.id}?purpose=${purpose}`, { token });
      setPersonal(data.personal ?? null);
      setC(data);
    } catch (x) {
      setStatus(failure(t, x, props.expired));
    }
  };
  // A step of the case; answers with true when it was taken.
  const step = async (path: string, body?: unknown): Promise<HttpError | null> => {
    try {
      await api('POST', `/v1/staff/cases/${props.id}/${path}`, { token, body });
      setStatus(t('done'));
      await load();
      return null;
    } catch (x) {
      setStatus(failure(t, x, props.expired));
      return x instanceof HttpError ? x : null;
    }
  };
  if (!c)
    return (
      <p role="status" class="status">
        {status ?? '…'}
      </p>
    );
  const place = personal?.report && typeof personal.report.lat === 'number' && typeof personal.report.lon === 'number'
    ? { lat: personal.report.lat, lon: personal.report.lon }
    : null;
  return (
    <div class="case">
      <button type="button" class="link" onClick={props.back}>
        {t('back')}
      </button>
      <h2>
        {t('case', { ticket: c.ticket })} —{' '}
        <span data-testid="case-state" data-state={c.state}>
          {word('state', c.state, lang)}
        </span>
      </h2>
      <p>
        {c.urgent && <strong class="tag">{t('urgent')}</strong>} {c.child && <span class="tag">{t('child')}</span>}{' '}
        {c.violence_forms.map((f) => word('violence_form', f, lang)).join(', ')} · {t('kecamatan')} {kecName ?? '—'} ·{' '}
        {t('reported_at', { at: when(c.created_at, lang) })} · {t('calls', { n: c.call_attempts })}
      </p>
      {c.due_at && (
        <p data-testid="due">
          {t('promise_due', { at: when(c.due_at, lang) })} · <Left t={t} left={new Date(c.due_at).getTime() - Date.now()} />
        </p>
      )}
      {c.reach_request && (
        <div class="reach" role="alert" data-testid="reach">
          <p>
            <strong>{t('reach_asked', { why: word('reach', c.reach_request.reason_code, lang), at: when(c.reach_request.at, lang) })}</strong>
          </p>
          <p class="hint">{t('reach_how')}</p>
          {admin && (
            <button type="button" onClick={() => void step('reach-request/done')}>
              {t('reach_done')}
            </button>
          )}
        </div>
      )}
      <p class="status" role="status" data-testid="case-status">
        {status ?? ''}
      </p>
      <CaseSummary t={t} lang={lang} c={c} kecName={kecName} />
      <section aria-labelledby="personal-h">
        <h3 id="personal-h">{t('personal')}</h3>
        {!personal && (
          <div>
            <p class="hint">{t('personal_why')}</p>
            <label for="purpose">{t('purpose')}</label>
            <CodeSelect id="purpose" value={purpose} onChange={(e) => setPurpose(value(e))} list="purpose" lang={lang} />
            <button type="button" onClick={() => void openPersonal()}>
              {t('show_personal')}
            </button>
          </div>
        )}
        {personal && <PersonalData t={t} lang={lang} p={personal} />}
      </section>
      {admin && c.state === 'submitted' && <ConfirmCall t={t} lang={lang} step={step} personal={!!personal} />}
      {admin && c.state === 'submitted' && <DuplicateSearch t={t} token={token} id={c.case_id} step={step} expired={props.expired} />}
      {admin && c.state === 'verified' && (
        <SuggestionMap t={t} lang={lang} token={token} id={c.case_id} place={place} reload={load} expired={props.expired} />
      )}
      {['assigned', 'en_route', 'on_site'].includes(c.state) && <VisitMap t={t} token={token} id={c.case_id} state={c.state} place={place} />}
      {['assessed', 'referred', 'accepted', 'declined', 'closed'].includes(c.state) && (
        <ReferralPanel t={t} lang={lang} token={token} c={c} admin={admin} tick={props.tick} reload={load} expired={props.expired} />
      )}
      <CaseNote t={t} lang={lang} token={token} id={c.case_id} step={step} expired={props.expired} />
      <h3>{t('timeline')}</h3>
      <ol class="timeline">
        {c.timeline.map((e, i) => (
          <li key={i}>
            <time dateTime={e.at}>{when(e.at, lang)}</time> · {word('step', e.kind, lang)}
            {e.kind === 'state' ? ` · ${word('state', e.state, lang)}` : ''}
            {e.reason_code ? ` · ${reason(e.kind, e.reason_code, lang)}` : ''}
          </li>
        ))}
      </ol>
    </div>
  );
}

// The reason a timeline entry carries, in words where the list is known.
function reason(kind: string, code: string, lang: StaffLang): string {
  if (kind === 'access') return word('access', code, lang);
  if (kind === 'reach_request') return word('reach', code, lang);
  if (kind === 'call') return word('call', code, lang);
  if (kind === 'dispatch:visit_declined') return word('visit_decline', code, lang);
  if (kind === 'referral:referral_declined') return word('agency_decline', code, lang);
  if (kind === 'referral:referral_closed') return word('outcome', code, lang);
  for (const list of ['access', 'call', 'reject', 'outcome', 'agency_decline'] as const) if (word(list, code, lang) !== code) return word(list, code, lang);
  return code;
}
