// Who is on duty (issue 22 §1): an urgent report reaches every admin on
// duty by SMS as well as e-mail, so an admin says when she is, with the
// mobile she carries that day; everyone at the desk sees who is.
import { useEffect, useState } from 'preact/hooks';
import { pushOff, pushOn } from './push';
import { api, HttpError } from '../shared/api/client';
import { failure, type T } from './common';

type Duty = { on_duty: boolean; phone: string | null; admins_on_duty: string[] };

export function DutyPanel(props: { t: T; token: string; admin: boolean; expired: () => void }) {
  const { t } = props;
  const [duty, setDuty] = useState<Duty | null>(null);
  const [phone, setPhone] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  useEffect(() => {
    void api<Duty>('GET', '/v1/staff/duty', { token: props.token })
      .then((r) => (setDuty(r.data), setPhone(r.data.phone ?? '')))
      .catch((x) => setMsg(failure(t, x, props.expired)));
  }, []);
  const set = async (on: boolean) => {
    try {
      const { data } = await api<Duty>('PUT', '/v1/staff/duty', { token: props.token, body: on ? { on_duty: true, phone } : { on_duty: false } });
      setDuty(data);
      setMsg(null); // the panel says it
      // Urgent reports as notifications on this desk too, where the browser can.
      if (on) void pushOn(props.token);
      else void pushOff(props.token);
    } catch (x) {
      setMsg(x instanceof HttpError && x.status === 422 ? t('duty_phone_needed') : failure(t, x, props.expired));
    }
  };
  if (!duty) return msg ? <p class="status">{msg}</p> : null;
  return (
    <section class="duty" aria-labelledby="duty-h" data-testid="duty-panel">
      <h2 id="duty-h">{t('duty_title')}</h2>
      <p data-testid="on-duty">{duty.admins_on_duty.length ? t('duty_who', { list: duty.admins_on_duty.join(', ') }) : t('duty_nobody')}</p>
      {props.admin && !duty.on_duty && (
        <div class="actions">
          <label for="duty-phone">{t('duty_phone')}</label>
          <input id="duty-phone" type="tel" inputMode="tel" autoComplete="tel" value={phone} onInput={(e) => setPhone((e.target as HTMLInputElement).value)} />
          <button type="button" onClick={() => void set(true)}>
            {t('duty_start')}
          </button>
        </div>
      )}
      {props.admin && duty.on_duty && (
        <div class="actions">
          <p>{t('duty_mine', { phone: duty.phone ?? '' })}</p>
          <button type="button" onClick={() => void set(false)}>
            {t('duty_stop')}
          </button>
        </div>
      )}
      <p class="status" role="status">
        {msg ?? ''}
      </p>
    </section>
  );
}
