// Registration with an active phone number, in any form Indonesians write it.
import { useState } from 'preact/hooks';
import { api, HttpError } from '../shared/api/client';
import type { Screen, T } from './screens';
import { Field } from './Field';

export function RegisterPhone(props: { t: T; go: (s: Screen) => void }) {
  const { t } = props;
  const [phone, setPhone] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async (e: Event) => {
    e.preventDefault();
    const digits = phone.replace(/[^0-9+]/g, '');
    if (!/^(\+?62|0)8\d{8,11}$/.test(digits)) {
      setErr(t('err_phone'));
      return;
    }
    setBusy(true);
    setErr(null);
    try {
      // The code is bound to this request, not to the network (which may
      // change before the SMS arrives): the request id goes with it.
      const { data } = await api<{ request_id: string }>('POST', '/v1/auth/otp', { body: { phone } });
      props.go({ name: 'code', phone, wait: 60, request: data.request_id });
    } catch (x) {
      if (x instanceof HttpError && x.status === 429) props.go({ name: 'code', phone, wait: x.retryAfter });
      else if (x instanceof HttpError && x.status === 422) setErr(t('err_phone'));
      else setErr(t('err_generic'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={send} noValidate>
      <p>{t('tagline')}</p>
      <Field id="phone" label={t('reg_phone')} hint={t('reg_phone_hint')} error={err ?? undefined}>
        <input
          id="phone"
          type="tel"
          inputMode="tel"
          autoComplete="tel"
          value={phone}
          aria-invalid={err ? 'true' : 'false'}
          onInput={(e) => setPhone((e.target as HTMLInputElement).value)}
        />
      </Field>
      <button class="primary" type="submit" disabled={busy}>
        {t('reg_send')}
      </button>
    </form>
  );
}
