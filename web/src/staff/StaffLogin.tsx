// Sign in. A wrong password, a disabled and a locked account get the same
// answer from the server (nothing to learn by guessing); the message says
// what to do in each case. A busy server says so. A password someone else
// set (a reset) is changed here before anything opens (security review N1).
import { useState } from 'preact/hooks';
import { api, HttpError } from '../shared/api/client';
import { session, type T } from './common';

// This browser's device token (security review N6): a stranger's wrong
// passwords lock an account, but not for a browser its owner signed in from
// before. One token per browser; it names no one and is kept after logout.
const DEVICE_KEY = 'pk.staff.device';
const knownDevice = {
  get(): string | null {
    try {
      return localStorage.getItem(DEVICE_KEY);
    } catch {
      return null;
    }
  },
  set(token: string | undefined) {
    try {
      if (token) localStorage.setItem(DEVICE_KEY, token);
    } catch {
      /* private mode: no known device, the lock-out applies */
    }
  },
};

export function StaffLogin(props: { t: T; done: () => void; notice: string | null }) {
  const { t } = props;
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [err, setErr] = useState<string | null>(props.notice);
  // Signed in with a password to change first: the session, held back.
  const [pending, setPending] = useState<{ token: string; role: string; name: string } | null>(null);
  const [fresh, setFresh] = useState({ one: '', two: '' });
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const device = knownDevice.get();
      const { data } = await api<{ token: string; device: string; password_change_required: boolean; staff: { role: string; display_name: string } }>('POST', '/v1/staff/login', {
        body: device ? { login, password, device } : { login, password },
      });
      knownDevice.set(data.device);
      const s = { token: data.token, role: data.staff.role, name: data.staff.display_name };
      if (data.password_change_required) {
        setErr(null);
        setPending(s);
        return;
      }
      session.set(s);
      props.done();
    } catch (x) {
      if (x instanceof HttpError && x.status === 503) setErr(t('busy'));
      else if (x instanceof HttpError && x.status === 429) setErr(t('too_many_logins'));
      else setErr(t('login_failed'));
    }
  };
  const change = async (e: Event) => {
    e.preventDefault();
    if (!pending) return;
    if (fresh.one !== fresh.two) return setErr(t('password_mismatch'));
    try {
      await api('POST', '/v1/staff/password', { token: pending.token, body: { current_password: password, new_password: fresh.one } });
      session.set(pending);
      props.done();
    } catch (x) {
      const why = x instanceof HttpError && x.status === 422 ? (x.error.fields as Record<string, string> | undefined)?.new_password : undefined;
      setErr(x instanceof HttpError && x.status === 422 ? (why ? why.charAt(0).toUpperCase() + why.slice(1) : t('password_own_rule')) : x instanceof HttpError && x.status === 503 ? t('busy') : t('login_failed'));
    }
  };
  if (pending)
    return (
      <form onSubmit={change} class="narrow" aria-labelledby="pw-h">
        <h2 id="pw-h">{t('password_change_title')}</h2>
        <p>{t('password_change_why')}</p>
        <label for="pw-new">{t('new_password')}</label>
        <input id="pw-new" type="password" autoComplete="new-password" minLength={12} value={fresh.one} onInput={(e) => setFresh({ ...fresh, one: (e.target as HTMLInputElement).value })} />
        <label for="pw-again">{t('password_again')}</label>
        <input id="pw-again" type="password" autoComplete="new-password" minLength={12} value={fresh.two} onInput={(e) => setFresh({ ...fresh, two: (e.target as HTMLInputElement).value })} />
        <p class="hint">{t('password_own_rule')}</p>
        <p class="status error" role="alert">
          {err ?? ''}
        </p>
        <button class="primary" type="submit">
          {t('save')}
        </button>
      </form>
    );
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
