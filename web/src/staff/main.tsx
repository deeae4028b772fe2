// The staff app at /staff/: each role gets its screen: the admin's desk
// (and the supervisor's, read and note), the companion's phone, the
// agency's inbox. The session lives in sessionStorage only: nothing is left
// on the computer after logout or when the tab closes.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, HttpError } from '../api/client';
import { readEvents } from '../sse';
import { st, type StaffLang } from './i18n';
import { Companion, wipeCompanionDrafts } from './companion';
import { Desk } from './desk';
import { CasePage } from './case';
import { Accounts } from './accounts';
import { Inbox } from './agency';
import { loadCatalogWords } from './words';
import type { Session, T } from './common';
import '../style.css';
import './staff.css';

const session = {
  get: (): Session | null => JSON.parse(sessionStorage.getItem('pk.staff') ?? 'null'),
  set: (s: Session | null) => (s ? sessionStorage.setItem('pk.staff', JSON.stringify(s)) : sessionStorage.removeItem('pk.staff')),
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
      else if (x instanceof HttpError && x.status === 503) setErr(t('busy'));
      else setErr(t('login_failed'));
    }
  };
  return (
    <form onSubmit={submit} class="narrow">
      <label for="login">{t('login_name')}</label>
      <input id="login" autoComplete="username" value={login} onInput={(e) => setLogin((e.target as HTMLInputElement).value)} />
      <label for="password">{t('password')}</label>
      <input id="password" type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
      <p class="status error" role="alert">
        {err ?? ''}
      </p>
      <button class="primary" type="submit">
        {t('login')}
      </button>
    </form>
  );
}

// The feed of case events (/v1/staff/events), one per tab: every new
// timeline entry bumps `tick`, and the screens read again what they show.
// After a drop it reconnects within a second with Last-Event-ID, and the
// screens read everything again (nothing missed while it was down).
function useFeed(token: string | null, expired: () => void): { live: boolean; tick: number } {
  const [live, setLive] = useState(false);
  const [tick, setTick] = useState(0);
  const expiredRef = useRef(expired);
  expiredRef.current = expired;
  useEffect(() => {
    if (!token) return;
    const abort = new AbortController();
    let last = '';
    let pending: ReturnType<typeof setTimeout> | undefined;
    const bump = () => {
      clearTimeout(pending);
      pending = setTimeout(() => setTick((n) => n + 1), 50);
    };
    const loop = async () => {
      while (!abort.signal.aborted) {
        try {
          const status = await readEvents(
            '/v1/staff/events',
            token,
            abort.signal,
            (event) => {
              if (event === 'case') bump();
            },
            last ? { 'last-event-id': last } : undefined,
            (id) => (last = id),
            () => {
              setLive(true);
              bump(); // back: read everything again
            },
          );
          if (status === 401) {
            expiredRef.current();
            return;
          }
        } catch {
          /* dropped */
        }
        setLive(false);
        if (!abort.signal.aborted) await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void loop();
    return () => {
      abort.abort();
      clearTimeout(pending);
    };
  }, [token]);
  return { live, tick };
}

function StaffApp() {
  const [lang, setLang] = useState<StaffLang>('id');
  const [s, setS] = useState(session.get());
  const [open, setOpen] = useState<string | null>(null);
  const [page, setPage] = useState<'queue' | 'accounts'>('queue');
  const [notice, setNotice] = useState<string | null>(null);
  const [, setWords] = useState(0);
  const t: T = (k, v) => st(lang, k, v);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  useEffect(() => void loadCatalogWords().then(() => setWords(1)), []);
  const expired = () => {
    session.set(null);
    wipeCompanionDrafts();
    setS(null);
    setOpen(null);
    setNotice(t('expired'));
  };
  const logout = () => {
    if (s) void api('POST', '/v1/staff/logout', { token: s.token }).catch(() => undefined);
    session.set(null);
    wipeCompanionDrafts();
    setS(null);
    setOpen(null);
    setNotice(null);
  };
  const desk = s && (s.role === 'admin' || s.role === 'supervisor');
  const feed = useFeed(desk ? s.token : null, expired);
  const title = !s
    ? t('title')
    : s.role === 'companion'
      ? t('companion_title')
      : s.role === 'agency'
        ? t('inbox')
        : page === 'accounts'
          ? t('accounts')
          : t('queue');
  return (
    <div class={'frame' + (s?.role === 'companion' ? '' : ' wide')}>
      <header class="bar">
        <label class="lang">
          <span class="sr">{t('language')}</span>
          <select value={lang} onChange={(e) => setLang((e.target as HTMLSelectElement).value as StaffLang)}>
            <option value="id">Indonesia</option>
            <option value="en">English</option>
          </select>
        </label>
        {desk && (
          <p class={'live ' + (feed.live ? 'on' : 'off')} role="status" data-testid="live">
            {feed.live ? t('live_on') : t('live_off')}
          </p>
        )}
        {s?.role === 'admin' && (
          <nav aria-label={t('menu')}>
            <button type="button" class="link" aria-current={page === 'queue' ? 'page' : undefined} onClick={() => (setPage('queue'), setOpen(null))}>
              {t('queue')}
            </button>
            <button type="button" class="link" aria-current={page === 'accounts' ? 'page' : undefined} onClick={() => (setPage('accounts'), setOpen(null))}>
              {t('accounts')}
            </button>
          </nav>
        )}
        {s && (
          <button type="button" class="exit" onClick={logout}>
            {t('logout')}
          </button>
        )}
      </header>
      <main>
        <h1>{title}</h1>
        {!s && <Login t={t} notice={notice} done={() => (setS(session.get()), setNotice(null))} />}
        {s?.role === 'companion' && <Companion t={t} lang={lang} token={s.token} expired={expired} />}
        {s?.role === 'agency' && <Inbox t={t} lang={lang} token={s.token} expired={expired} />}
        {s?.role === 'auditor' && <p>{t('auditor_note')}</p>}
        {desk && page === 'accounts' && s.role === 'admin' && <Accounts t={t} lang={lang} token={s.token} expired={expired} />}
        {desk && page === 'queue' && !open && <Desk t={t} lang={lang} token={s.token} tick={feed.tick} open={setOpen} expired={expired} />}
        {desk && page === 'queue' && open && (
          <CasePage t={t} lang={lang} session={s} id={open} tick={feed.tick} back={() => setOpen(null)} expired={expired} />
        )}
      </main>
    </div>
  );
}

render(<StaffApp />, document.getElementById('app')!);
