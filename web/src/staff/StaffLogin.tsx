// Sign in. A wrong password, a disabled and a locked account get the same
// answer from the server (nothing to learn by guessing); the message says
// what to do in each case. A busy server says so.
import { useState } from 'preact/hooks';
import { api, HttpError } from '../shared/api/client';
import { session, type T } from './common';

export function StaffLogin(props: { t: T; done: () => void; notice: string | null }) {
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
      if (x instanceof HttpError && x.status === 503) setErr(t('busy'));
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
