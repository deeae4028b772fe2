// The staff app at /staff/: each role gets its screen: the admin's desk
// (and the supervisor's, read and note), the companion's phone, the
// agency's inbox. The session lives in sessionStorage only: nothing is left
// on the computer after logout or when the tab closes.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { pushOff } from './push';
import { api } from '../shared/api/client';
import { st, type StaffLang } from './i18n';
import { CompanionPhone } from './CompanionPhone';
import { wipeCompanionDrafts } from './drafts';
import { DutyPanel } from './DutyPanel';
import { Desk } from './Desk';
import { CasePage } from './CasePage';
import { Accounts } from './Accounts';
import { AgencyInbox } from './AgencyInbox';
import { StaffLogin } from './StaffLogin';
import { useFeed } from './feed';
import { useUrgentAlert } from './urgentAlert';
import { loadCatalogWords } from './words';
import { session, type T } from './common';
import '../shared/style.css';
import './staff.css';

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
    if (s) void pushOff(s.token).finally(() => api('POST', '/v1/staff/logout', { token: s.token }).catch(() => undefined));
    session.set(null);
    wipeCompanionDrafts();
    setS(null);
    setOpen(null);
    setNotice(null);
  };
  const desk = s && (s.role === 'admin' || s.role === 'supervisor');
  const feed = useFeed(desk ? s.token : null, expired);
  const urgentAlert = useUrgentAlert(t, s?.role === 'admin' ? s.token : null, feed.tick);
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
        {desk && (
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
        {!s && <StaffLogin t={t} notice={notice} done={() => (setS(session.get()), setNotice(null))} />}
        {s?.role === 'companion' && <CompanionPhone t={t} lang={lang} token={s.token} expired={expired} />}
        {s?.role === 'agency' && <AgencyInbox t={t} lang={lang} token={s.token} expired={expired} />}
        {s?.role === 'auditor' && <p>{t('auditor_note')}</p>}
        {desk && page === 'accounts' && <Accounts t={t} lang={lang} role={s.role} token={s.token} expired={expired} />}
        {s?.role === 'admin' && page === 'queue' && !open && urgentAlert.state === 'default' && (
          <button type="button" class="notify" onClick={urgentAlert.enable}>
            {t('notify_enable')}
          </button>
        )}
        {s?.role === 'admin' && page === 'queue' && !open && urgentAlert.state === 'denied' && <p class="hint">{t('notify_denied')}</p>}
        {desk && page === 'queue' && !open && <DutyPanel t={t} token={s.token} admin={s.role === 'admin'} expired={expired} />}
        {desk && page === 'queue' && !open && <Desk t={t} lang={lang} token={s.token} tick={feed.tick} open={setOpen} expired={expired} />}
        {desk && page === 'queue' && open && (
          <CasePage t={t} lang={lang} session={s} id={open} tick={feed.tick} back={() => setOpen(null)} expired={expired} />
        )}
      </main>
    </div>
  );
}

// Installable, its shell offline (issue 22 §3): the staff's own service
// worker, scoped to /staff/; it keeps no data (public/staff/sw.js).
if ('serviceWorker' in navigator) void navigator.serviceWorker.register('/staff/sw.js', { scope: '/staff/' }).catch(() => undefined);
render(<StaffApp />, document.getElementById('app')!);
