// The reporter's app: one page that changes screens without changing its
// address (nothing personal reaches the browser's history); the first run,
// the session, the queue of reports waiting for signal, the quick exit.
import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { api, type Catalog, type Regions } from '../shared/api/client';
import { t, type Key } from './i18n';
import { flush, onQueueChange, type Outcome } from './outbox';
import { store, type Settings } from './store';
import type { Screen, T } from './screens';
import { Frame } from './Frame';
import { Status } from './Status';
import { ContactSafety } from './ContactSafety';
import { RegisterPhone } from './RegisterPhone';
import { CodeEntry } from './CodeEntry';
import { ReportWizard } from './ReportWizard';
import { MyReports } from './MyReports';
import { ReportDetail } from './ReportDetail';
import { ApproachMap } from './ApproachMap';
import { SettingsScreen } from './SettingsScreen';
import { HelpLines } from './HelpLines';

export function App() {
  const [settings, setSettingsState] = useState<Settings>(store.settings());
  // Her story first (issue 22 §5): no question stands before the report;
  // the contact-safety choices are asked in its last step.
  const [screen, setScreen] = useState<Screen>(() => (!store.token() ? { name: 'register' } : { name: 'home' }));
  const [catalog, setCatalog] = useState<Catalog | null>(null);
  const [regions, setRegions] = useState<Regions | null>(null);
  const [pending, setPending] = useState(store.pending().length);
  const [notice, setNotice] = useState<string | null>(null);
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const lang = settings.lang;
  const tt: T = (k, v) => t(lang, k, v);
  // Merged with what is stored: the report and the settings keep her
  // safety choices there too.
  const changeSettings = (change: Partial<Settings>) => {
    const s = { ...store.settings(), ...change };
    store.setSettings(s);
    setSettingsState(s);
  };
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = settings.neutral ? tt('neutral_app') : tt('app');
    const link = document.getElementById('manifest') as HTMLLinkElement | null;
    if (link) link.href = settings.neutral ? '/neutral.webmanifest' : '/manifest.webmanifest';
    // The browser's bar too: the neutral app's colour, not PELUKAN's purple.
    document.querySelector('meta[name="theme-color"]')?.setAttribute('content', settings.neutral ? '#f2c94c' : '#5b2a86');
  }, [lang, settings.neutral]);
  useEffect(() => {
    api<Catalog>('GET', '/v1/catalog').then((r) => setCatalog(r.data)).catch(() => undefined);
    api<Regions>('GET', '/v1/regions').then((r) => setRegions(r.data)).catch(() => undefined);
    return onQueueChange(() => setPending(store.pending().length));
  }, []);
  const go = (s: Screen) => {
    setNotice(null);
    setScreen(s);
  };
  const signedIn = (token: string) => {
    store.setToken(token);
    void flush(true);
    go({ name: 'home' });
  };
  const signOut = () => {
    const token = store.token();
    if (token) void api('POST', '/v1/auth/logout', { token }).catch(() => undefined);
    store.setToken(null);
    store.forgetPlaces();
    go({ name: 'register' });
  };
  const reportDone = (o: Outcome, urgent: boolean) => {
    setServerErrors({});
    if (o.kind === 'sent') go({ name: 'sent', ticket: o.summary.ticket, urgent });
    else if (o.kind === 'waiting') go({ name: 'waiting', urgent });
    else if (o.kind === 'limited') setNotice(tt('err_wait', { s: o.wait }));
    else if (o.kind === 'session') {
      store.forgetPlaces(); /* the session ended: nothing of it stays (N9) */
      go({ name: 'register' });
    }
    else setNotice(tt('err_generic'));
  };
  const title: Record<Screen['name'], Key> = {
    register: 'reg_title',
    code: 'code_title',
    safety: 'safety_title',
    home: 'app',
    wizard: 'home_report',
    sent: 'sent_title',
    waiting: 'waiting_title',
    mine: 'mine_title',
    detail: 'mine_title',
    companion: 'comp_title',
    settings: 'settings_title',
  };
  let body: ComponentChildren;
  switch (screen.name) {
    case 'register':
      body = <RegisterPhone t={tt} go={go} />;
      break;
    case 'code':
      body = <CodeEntry t={tt} phone={screen.phone} wait={screen.wait} request={screen.request} go={go} signedIn={signedIn} />;
      break;
    case 'safety':
      body = (
        <ContactSafety
          t={tt}
          lang={lang}
          catalog={catalog}
          done={() => {
            setSettingsState(store.settings());
            go({ name: 'home' });
          }}
        />
      );
      break;
    case 'home':
      body = (
        <div class="home">
          {pending > 0 && <Status text={tt('home_waiting')} />}
          <button type="button" class="primary big" onClick={() => go({ name: 'wizard' })}>
            {tt('home_report')}
          </button>
          <button type="button" class="big" onClick={() => go({ name: 'mine' })}>
            {tt('home_mine')}
          </button>
          <button type="button" onClick={() => go({ name: 'settings' })}>
            {tt('home_settings')}
          </button>
          <HelpLines t={tt} />
        </div>
      );
      break;
    case 'wizard':
      body = <ReportWizard t={tt} lang={lang} catalog={catalog} regions={regions} done={reportDone} serverErrors={serverErrors} />;
      break;
    case 'sent':
      body = (
        <div>
          <p class="ok" role="status">
            {tt('sent_ticket', { ticket: screen.ticket })}
          </p>
          <p>{tt(screen.urgent ? 'sent_urgent_next' : 'sent_next')}</p>
          {screen.urgent && <HelpLines t={tt} />}
          <button type="button" class="primary" onClick={() => go({ name: 'mine' })}>
            {tt('home_mine')}
          </button>
        </div>
      );
      break;
    case 'waiting':
      body = (
        <div>
          <p role="status" class="waiting">
            {pending > 0 ? tt('waiting_text') : tt('sent_title')}
          </p>
          {screen.urgent && pending > 0 && <p>{tt('waiting_urgent')}</p>}
          {pending > 0 && <p class="hint" data-testid="exit-discards">{tt('waiting_exit')}</p>}
          {screen.urgent && <HelpLines t={tt} />}
          <button type="button" class="primary" onClick={() => go({ name: pending > 0 ? 'home' : 'mine' })}>
            {pending > 0 ? tt('back') : tt('home_mine')}
          </button>
        </div>
      );
      break;
    case 'mine':
      body = <MyReports t={tt} go={go} />;
      break;
    case 'detail':
      body = <ReportDetail t={tt} id={screen.id} go={go} />;
      break;
    case 'companion':
      body = <ApproachMap t={tt} id={screen.id} />;
      break;
    case 'settings':
      body = <SettingsScreen t={tt} settings={settings} change={changeSettings} go={go} signOut={signOut} />;
      break;
  }
  const home = screen.name !== 'register' && screen.name !== 'code' && screen.name !== 'home';
  return (
    <Frame t={tt} lang={lang} setLang={(l) => changeSettings({ lang: l })} title={screen.name === 'home' && settings.neutral ? tt('neutral_app') : tt(title[screen.name])}>
      {notice && <Status kind="error" text={notice} />}
      {body}
      {home && (
        <nav>
          <button type="button" class="link" onClick={() => go({ name: 'home' })}>
            {tt('home')}
          </button>
        </nav>
      )}
    </Frame>
  );
}
