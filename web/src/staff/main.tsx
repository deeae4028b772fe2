// The staff app at /staff/: for now the admin's desk (live queue, a case
// with its personal data behind a purpose, the confirmation call, verify,
// reject). The session lives in sessionStorage only: nothing is left on
// the computer after logout or when the tab closes.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, HttpError, type Schemas } from '../api/client';
import { readEvents } from '../sse';
import { st, type StaffKey, type StaffLang } from './i18n';
import { Companion, wipeCompanionDrafts } from './companion';
import '../style.css';
import './staff.css';

type QueueItem = Schemas['QueueItem'];
// A case's state in words, for the desk.
const STATES: Record<StaffLang, Record<string, string>> = {
  id: {
    submitted: 'Baru', verified: 'Terverifikasi', assigned: 'Pendamping ditugaskan', en_route: 'Pendamping berangkat',
    on_site: 'Pendamping di lokasi', assessed: 'Sudah diidentifikasi', referred: 'Dirujuk', accepted: 'Diterima lembaga',
    closed: 'Selesai', rejected: 'Ditolak', duplicate: 'Duplikat', withdrawn: 'Ditarik pelapor', declined: 'Rujukan ditolak',
  },
  en: {
    submitted: 'New', verified: 'Verified', assigned: 'Companion assigned', en_route: 'Companion on the way',
    on_site: 'Companion on site', assessed: 'Identified', referred: 'Referred', accepted: 'Accepted by agency',
    closed: 'Closed', rejected: 'Rejected', duplicate: 'Duplicate', withdrawn: 'Withdrawn by reporter', declined: 'Referral declined',
  },
};
let formWords: Record<string, { id: string; en: string }> = {};
void api<{ violence_form: { code: string; label_id: string; label_en: string }[] }>('GET', '/v1/catalog')
  .then((r) => (formWords = Object.fromEntries(r.data.violence_form.map((f) => [f.code, { id: f.label_id, en: f.label_en }]))))
  .catch(() => undefined);
type CaseDetail = Schemas['CaseDetail'];
type T = (k: StaffKey, v?: Record<string, string | number>) => string;

const session = {
  get: (): { token: string; role: string; name: string } | null => JSON.parse(sessionStorage.getItem('pk.staff') ?? 'null'),
  set: (s: { token: string; role: string; name: string } | null) =>
    s ? sessionStorage.setItem('pk.staff', JSON.stringify(s)) : sessionStorage.removeItem('pk.staff'),
};

function Login(props: { t: T; done: () => void; notice: string | null }) {
  const { t } = props;
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [err, setErr] = useState<string | null>(props.notice);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const { data } = await api<{ token: string; staff: { role: string; display_name: string } }>('POST', '/v1/staff/login', {
        body: { login, password },
      });
      session.set({ token: data.token, role: data.staff.role, name: data.staff.display_name });
      props.done();
    } catch (x) {
      if (x instanceof HttpError && x.status === 423) setErr(t('locked', { min: Math.ceil(x.retryAfter / 60) }));
      else setErr(t('login_failed'));
    }
  };
  return (
    <form onSubmit={submit} class="narrow">
      <label for="login">{t('login_name')}</label>
      <input id="login" autoComplete="username" value={login} onInput={(e) => setLogin((e.target as HTMLInputElement).value)} />
      <label for="password">{t('password')}</label>
      <input id="password" type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
      <p class="status error" role="alert">{err ?? ''}</p>
      <button class="primary" type="submit">
        {t('login')}
      </button>
    </form>
  );
}

// The queue, kept live by /v1/staff/events: each new timeline entry makes
// the desk read the queue again; the feed resumes after a drop with
// Last-Event-ID.
function Desk(props: { t: T; lang: StaffLang; token: string; open: (id: string) => void; expired: () => void }) {
  const { t } = props;
  const [items, setItems] = useState<QueueItem[] | null>(null);
  const [live, setLive] = useState(false);
  const [state, setState] = useState('');
  const stateRef = useRef(state);
  stateRef.current = state;
  const load = async () => {
    try {
      const q = stateRef.current ? `&state=${stateRef.current}` : '';
      const { data } = await api<{ cases: QueueItem[] }>('GET', `/v1/staff/cases?per_page=100${q}`, { token: props.token });
      setItems(data.cases);
    } catch (x) {
      if (x instanceof HttpError && x.status === 401) props.expired();
    }
  };
  useEffect(() => void load(), [state]);
  useEffect(() => {
    const abort = new AbortController();
    let last = '';
    let pending: ReturnType<typeof setTimeout> | undefined;
    const loop = async () => {
      while (!abort.signal.aborted) {
        try {
          const status = await readEvents('/v1/staff/events', props.token, abort.signal, (event) => {
            setLive(true);
            if (event === 'case') {
              clearTimeout(pending);
              pending = setTimeout(() => void load(), 100);
            }
          }, last ? { 'last-event-id': last } : undefined, (id) => (last = id), () => setLive(true));
          if (status === 401) {
            props.expired();
            return;
          }
        } catch {
          /* dropped */
        }
        setLive(false);
        if (!abort.signal.aborted) await new Promise((r) => setTimeout(r, 1000));
        void load();
      }
    };
    void loop();
    return () => abort.abort();
  }, []);
  const now = Date.now();
  return (
    <div>
      <p class={'live ' + (live ? 'on' : 'off')} role="status" data-testid="live">
        {live ? t('live_on') : t('live_off')}
      </p>
      <label for="state">{t('filter_state')}</label>
      <select id="state" value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value)}>
        <option value="">{t('filter_all')}</option>
        {['submitted', 'verified', 'assigned', 'en_route', 'on_site', 'assessed', 'referred', 'accepted', 'closed'].map((s) => (
          <option key={s} value={s}>
            {STATES[props.lang][s]}
          </option>
        ))}
      </select>
      {items && !items.length && <p>{t('empty')}</p>}
      <table class="queue">
        <caption class="sr">{t('queue')}</caption>
        <thead>
          <tr>
            <th scope="col">Tiket</th>
            <th scope="col">{t('filter_state')}</th>
            <th scope="col">Kec.</th>
            <th scope="col">1 hari</th>
            <th scope="col">
              <span class="sr">{t('open')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(items ?? []).map((c) => {
            const h = Math.round((new Date(c.created_at).getTime() + 86400_000 - now) / 3600_000);
            return (
              <tr key={c.case_id} class={c.urgent ? 'urgent' : ''} data-ticket={c.ticket}>
                <td>
                  {c.ticket} {c.urgent && <strong class="tag">{t('urgent')}</strong>} {c.child && <span class="tag">{t('child')}</span>}
                </td>
                <td data-state={c.state}>{STATES[props.lang][c.state] ?? c.state}</td>
                <td>{c.kecamatan_code ?? '—'}</td>
                <td>{h >= 0 ? t('left', { h }) : t('late', { h: -h })}</td>
                <td>
                  <button type="button" onClick={() => props.open(c.case_id)} aria-label={`${t('open')} ${c.ticket}`}>
                    {t('open')}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function CasePage(props: { t: T; lang: StaffLang; token: string; id: string; back: () => void }) {
  const { t } = props;
  const [c, setC] = useState<CaseDetail | null>(null);
  const [purpose, setPurpose] = useState('confirmation_call');
  const [outcome, setOutcome] = useState('reached');
  const [override, setOverride] = useState('');
  const [needOverride, setNeedOverride] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const load = async (withPurpose?: string) => {
    const q = withPurpose ? `?purpose=${withPurpose}` : '';
    const { data } = await api<CaseDetail>('GET', `/v1/staff/cases/${props.id}${q}`, { token: props.token });
    setC(data);
  };
  useEffect(() => void load(), []);
  const step = async (path: string, body?: unknown) => {
    try {
      await api('POST', `/v1/staff/cases/${props.id}/${path}`, { token: props.token, body });
      setStatus(t('done'));
      setNeedOverride(false);
      await load(c?.personal ? purpose : undefined);
    } catch (x) {
      if (x instanceof HttpError && x.error.code === 'unsafe_call_time') setNeedOverride(true);
      setStatus(t('error', { msg: x instanceof HttpError ? x.error.message : String(x) }));
    }
  };
  if (!c) return <p role="status">…</p>;
  const p = c.personal;
  const safety = p?.contact_safety;
  return (
    <div>
      <button type="button" class="link" onClick={props.back}>
        {t('back')}
      </button>
      <h2>
        {t('case', { ticket: c.ticket })} —{' '}
        <span data-testid="case-state" data-state={c.state}>
          {STATES[props.lang][c.state] ?? c.state}
        </span>
      </h2>
      <p>
        {c.urgent && <strong class="tag">{t('urgent')}</strong>} {c.child && <span class="tag">{t('child')}</span>}{' '}
        {c.violence_forms.map((f) => formWords[f]?.[props.lang] ?? f).join(', ')} · {c.kecamatan_code ?? '—'}
      </p>
      <section aria-labelledby="personal-h">
        <h3 id="personal-h">{t('personal')}</h3>
        {!p && (
          <div>
            <p class="hint">{t('personal_why')}</p>
            <label for="purpose">{t('purpose')}</label>
            <select id="purpose" value={purpose} onChange={(e) => setPurpose((e.target as HTMLSelectElement).value)}>
              {['confirmation_call', 'verification', 'case_review', 'follow_up', 'legal_request'].map((x) => (
                <option key={x}>{x}</option>
              ))}
            </select>
            <button type="button" onClick={() => void load(purpose)}>
              {t('show_personal')}
            </button>
          </div>
        )}
        {p && (
          <dl>
            <dt>{t('safety_first')}</dt>
            <dd data-testid="safety">
              {t('safe_hours')}: {safety?.safe_hours ?? '—'} · {t('safe_channel')}: {safety?.safe_channel ?? '—'}
              {safety?.phone_monitored ? ` · ${t('monitored')}` : ''}
            </dd>
            <dt>{t('phone')}</dt>
            <dd>{p.reporter_phone ?? '—'}</dd>
            <dt>{t('victim_name')}</dt>
            <dd>{p.report?.victim_name ?? '—'}</dd>
            <dt>{t('address')}</dt>
            <dd>{p.report?.address ?? '—'}</dd>
            <dt>{t('account')}</dt>
            <dd>{p.report?.account ?? '—'}</dd>
          </dl>
        )}
      </section>
      {c.state === 'submitted' && (
        <section aria-labelledby="call-h">
          <h3 id="call-h">{t('call')}</h3>
          <label for="outcome">{t('call_outcome')}</label>
          <select id="outcome" value={outcome} onChange={(e) => setOutcome((e.target as HTMLSelectElement).value)}>
            <option value="reached">{t('call_reached')}</option>
            <option value="not_reached">{t('call_not_reached')}</option>
            <option value="false_report">{t('call_false')}</option>
          </select>
          {needOverride && (
            <div>
              <p class="error">{t('call_unsafe')}</p>
              <label for="override">{t('override')}</label>
              <input id="override" value={override} onInput={(e) => setOverride((e.target as HTMLInputElement).value)} />
            </div>
          )}
          <button type="button" onClick={() => void step('calls', { outcome, ...(override ? { override_reason: override } : {}) })}>
            {t('call_save')}
          </button>
          <button type="button" class="primary" onClick={() => void step('verify')}>
            {t('verify')}
          </button>
          <button type="button" class="danger" onClick={() => void step('reject', { reason_code: 'other' })}>
            {t('reject')}
          </button>
        </section>
      )}
      <p class="status" role="status">
        {status ?? ''}
      </p>
      <h3>{t('timeline')}</h3>
      <ol class="timeline">
        {c.timeline.map((e, i) => (
          <li key={i}>
            {e.kind} · {STATES[props.lang][e.state] ?? e.state} {e.reason_code ? `· ${e.reason_code}` : ''} <time dateTime={e.at}>{new Date(e.at).toLocaleString('id-ID', { timeZone: 'Asia/Jakarta' })}</time>
          </li>
        ))}
      </ol>
    </div>
  );
}

function StaffApp() {
  const [lang, setLang] = useState<StaffLang>('id');
  const [s, setS] = useState(session.get());
  const [open, setOpen] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const t: T = (k, v) => st(lang, k, v);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const expired = () => {
    session.set(null);
    setS(null);
    setNotice(t('expired'));
  };
  const logout = () => {
    if (s) void api('POST', '/v1/staff/logout', { token: s.token }).catch(() => undefined);
    session.set(null);
    wipeCompanionDrafts();
    setS(null);
  };
  const companion = s?.role === 'companion';
  return (
    <div class={'frame' + (companion ? '' : ' wide')}>
      <header class="bar">
        <label class="lang">
          <span class="sr">{t('language')}</span>
          <select value={lang} onChange={(e) => setLang((e.target as HTMLSelectElement).value as StaffLang)}>
            <option value="id">Indonesia</option>
            <option value="en">English</option>
          </select>
        </label>
        {s && (
          <button type="button" class="exit" onClick={logout}>
            {t('logout')}
          </button>
        )}
      </header>
      <main>
        <h1>{s ? (companion ? 'Pendamping' : t('queue')) : t('title')}</h1>
        {!s && <Login t={t} notice={notice} done={() => setS(session.get())} />}
        {s && companion && <Companion token={s.token} expired={expired} />}
        {s && !companion && !open && <Desk t={t} lang={lang} token={s.token} open={setOpen} expired={expired} />}
        {s && !companion && open && <CasePage t={t} lang={lang} token={s.token} id={open} back={() => setOpen(null)} />}
      </main>
    </div>
  );
}

render(<StaffApp />, document.getElementById('app')!);
