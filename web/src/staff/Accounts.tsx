// Staff accounts: create, disable, unlock, and set a new password for
// someone who forgot theirs (told in person; they change it at the next
// login). Admins manage companions and agency officers, supervisors every
// account (security review N1); the server says which (`managed`).
import { useEffect, useState } from 'preact/hooks';
import { api, HttpError, type Schemas } from '../shared/api/client';
import type { StaffLang } from './i18n';
import { CodeSelect } from './CodeSelect';
import { CompanionArea, areaLine, type Profile } from './CompanionArea';
import { failure, value, type T } from './common';
import { kecamatanList, word } from './words';
type Account = Schemas['StaffAccount'];
const EMPTY = { login: '', display_name: '', role: 'companion', agency_code: '', email: '', phone: '', password: '' };

export function Accounts(props: { t: T; lang: StaffLang; role: string; token: string; expired: () => void }) {
  const { t, lang } = props;
  const [list, setList] = useState<Account[]>([]);
  const [form, setForm] = useState(EMPTY);
  const [msg, setMsg] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [reset, setReset] = useState<{ id: string; password: string } | null>(null);
  // Companions' profiles (admins only: a supervisor's list has none).
  const [profiles, setProfiles] = useState<Record<string, Profile> | null>(null);
  const [kec, setKec] = useState<{ code: string; name: string }[]>([]);
  const [editing, setEditing] = useState<Account | null>(null);
  const load = async () => {
    try {
      const { data } = await api<{ accounts: Account[] }>('GET', '/v1/staff/accounts', { token: props.token });
      setList(data.accounts);
    } catch (x) {
      setMsg(failure(t, x, props.expired));
      return;
    }
    try {
      const { data } = await api<{ companions: Profile[] }>('GET', '/v1/staff/companions', { token: props.token });
      setProfiles(Object.fromEntries(data.companions.map((p) => [p.companion_id, p])));
    } catch (x) {
      if (!(x instanceof HttpError && x.status === 403)) setMsg(failure(t, x, props.expired));
    }
  };
  useEffect(() => void load(), []);
  useEffect(() => void kecamatanList().then(setKec), []);
  const act = async (path: string, body: unknown, said: string) => {
    try {
      await api('POST', path, { token: props.token, body });
      setMsg(said);
      await load();
      return true;
    } catch (x) {
      setMsg(failure(t, x, props.expired));
      return false;
    }
  };
  const create = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, string> = { login: form.login, display_name: form.display_name, role: form.role, password: form.password };
    if (form.role === 'agency') body.agency_code = form.agency_code;
    if (form.email) body.email = form.email;
    if (form.phone) body.phone = form.phone;
    try {
      await api('POST', '/v1/staff/accounts', { token: props.token, body });
      setMsg(t('account_made', { login: form.login }));
      setForm(EMPTY);
      setFieldErrors({});
      await load();
    } catch (x) {
      if (x instanceof HttpError && x.status === 422) setFieldErrors((x.error.fields as Record<string, string>) ?? {});
      setMsg(x instanceof HttpError && x.status === 409 ? t('login_taken') : failure(t, x, props.expired));
    }
  };
  const field = (k: keyof typeof EMPTY, label: string, type = 'text') => (
    <div>
      <label for={`acc-${k}`}>{label}</label>
      <input
        id={`acc-${k}`}
        type={type}
        value={form[k]}
        aria-invalid={fieldErrors[k] ? 'true' : undefined}
        aria-describedby={fieldErrors[k] ? `acc-${k}-err` : undefined}
        autoComplete={type === 'password' ? 'new-password' : 'off'}
        onInput={(e) => setForm({ ...form, [k]: value(e) })}
      />
      {fieldErrors[k] && (
        <p class="error" id={`acc-${k}-err`}>
          {fieldErrors[k]}
        </p>
      )}
    </div>
  );
  return (
    <div>
      <p class="status" role="status">
        {msg ?? ''}
      </p>
      <table class="queue">
        <caption class="sr">{t('accounts')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('login_name')}</th>
            <th scope="col">{t('display_name')}</th>
            <th scope="col">{t('role')}</th>
            <th scope="col">{t('filter_state')}</th>
            {profiles && <th scope="col">{t('area')}</th>}
            <th scope="col">
              <span class="sr">{t('actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((a) => (
            <tr key={a.id} data-login={a.login}>
              <td>{a.login}</td>
              <td>{a.display_name}</td>
              <td>
                {word('role', a.role, lang)}
                {a.agency_code ? ` · ${word('agency', a.agency_code, lang)}` : ''}
              </td>
              <td>{a.disabled ? t('disabled') : a.locked ? t('locked_short') : t('active')}</td>
              {profiles && <td class="area-line">{a.role === 'companion' ? areaLine(profiles[a.id], kec, t, lang) : ''}</td>}
              <td>
                {profiles && a.role === 'companion' && !a.disabled && (
                  <button type="button" onClick={() => setEditing(a)} aria-label={t('area_edit', { login: a.login })}>
                    {t('area')}
                  </button>
                )}
                {!a.managed && <span class="hint">{t('not_managed')}</span>}
                {a.managed && !a.disabled && (
                  <button type="button" class="danger" onClick={() => void act(`/v1/staff/accounts/${a.id}/disable`, {}, t('account_disabled', { login: a.login }))}>
                    {t('disable')}
                  </button>
                )}
                {a.managed && a.locked && (
                  <button type="button" onClick={() => void act(`/v1/staff/accounts/${a.id}/unlock`, {}, t('account_unlocked', { login: a.login }))}>
                    {t('unlock')}
                  </button>
                )}
                {a.managed && !a.disabled && (
                  <button type="button" onClick={() => setReset({ id: a.id, password: '' })} aria-label={`${t('reset')} ${a.login}`}>
                    {t('reset')}
                  </button>
                )}
                {reset?.id === a.id && (
                  <form
                    class="inline"
                    onSubmit={(e) => {
                      e.preventDefault();
                      void act(`/v1/staff/accounts/${a.id}/password`, { password: reset.password }, t('account_reset', { login: a.login })).then(
                        (ok) => ok && setReset(null),
                      );
                    }}
                  >
                    <label for={`reset-${a.id}`}>{t('new_password')}</label>
                    <input id={`reset-${a.id}`} type="password" autoComplete="new-password" minLength={12} value={reset.password} onInput={(e) => setReset({ id: a.id, password: value(e) })} />
                    <button type="submit" class="primary">
                      {t('save')}
                    </button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing && (
        <CompanionArea
          key={editing.id}
          t={t}
          lang={lang}
          token={props.token}
          id={editing.id}
          login={editing.login}
          profile={profiles?.[editing.id]}
          saved={(said) => {
            setMsg(said);
            setEditing(null);
            void load();
          }}
          expired={props.expired}
        />
      )}
      <h2>{t('account_new')}</h2>
      <form onSubmit={create} class="narrow">
        {field('login', t('login_name'))}
        {field('display_name', t('display_name'))}
        <label for="acc-role">{t('role')}</label>
        <CodeSelect
          id="acc-role"
          value={form.role}
          onChange={(e) => setForm({ ...form, role: value(e) })}
          list="role"
          lang={lang}
          only={props.role === 'supervisor' ? undefined : ['companion', 'agency']}
        />
        {form.role === 'agency' && (
          <div>
            <label for="acc-agency">{t('agency')}</label>
            <CodeSelect id="acc-agency" value={form.agency_code} onChange={(e) => setForm({ ...form, agency_code: value(e) })} list="agency" lang={lang} empty={t('choose')} />
          </div>
        )}
        {field('email', t('email'), 'email')}
        {field('phone', t('staff_phone'), 'tel')}
        {field('password', t('first_password'), 'password')}
        <p class="hint">{t('password_rule')}</p>
        <button type="submit" class="primary">
          {t('account_create')}
        </button>
      </form>
    </div>
  );
}
