// The six-digit code from the SMS, with a resend countdown from the
// server's Retry-After.
import { useEffect, useState } from 'preact/hooks';
import { api, HttpError } from '../shared/api/client';
import type { Screen, T } from './screens';
import { Field } from './Field';

export function CodeEntry(props: { t: T; phone: string; wait: number; request?: string; go: (s: Screen) => void; signedIn: (token: string) => void }) {
  const { t } = props;
  const [request, setRequest] = useState(props.request);
  const [code, setCode] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const [left, setLeft] = useState(props.wait);
  useEffect(() => {
    const id = setInterval(() => setLeft((s) => Math.max(0, s - 1)), 1000);
    return () => clearInterval(id);
  }, []);
  const verify = async (e: Event) => {
    e.preventDefault();
    try {
      const { data } = await api<{ token: string }>('POST', '/v1/auth/otp/verify', {
        body: request ? { phone: props.phone, code: code.trim(), request_id: request } : { phone: props.phone, code: code.trim() },
      });
      props.signedIn(data.token);
    } catch (x) {
      // Refused for another reason than a wrong code: say so (review N4).
      const why = x instanceof HttpError ? x.error.code : '';
      setErr(
        why === 'otp_expired'
          ? t('err_code_expired')
          : why === 'otp_attempts_exhausted'
            ? t('err_code_exhausted')
            : x instanceof HttpError && (x.status === 401 || x.status === 422)
              ? t('err_code')
              : t('err_generic'),
      );
    }
  };
  const resend = async () => {
    try {
      const { data } = await api<{ request_id: string }>('POST', '/v1/auth/otp', { body: { phone: props.phone } });
      setRequest(data.request_id);
      setLeft(60);
    } catch (x) {
      if (x instanceof HttpError && x.status === 429) {
        setLeft(x.retryAfter);
        setErr(t('err_wait', { s: x.retryAfter }));
      } else setErr(t('err_generic'));
    }
  };
  return (
    <form onSubmit={verify} noValidate>
      <p>{t('code_sent', { phone: props.phone })}</p>
      <Field id="code" label={t('code_label')} error={err ?? undefined}>
        <input
          id="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={6}
          value={code}
          aria-invalid={err ? 'true' : 'false'}
          onInput={(e) => setCode((e.target as HTMLInputElement).value)}
        />
      </Field>
      <button class="primary" type="submit">
        {t('code_verify')}
      </button>
      <button type="button" disabled={left > 0} onClick={() => void resend()}>
        {left > 0 ? t('code_resend_in', { s: left }) : t('code_resend')}
      </button>
      <button type="button" class="link" onClick={() => props.go({ name: 'register' })}>
        {t('code_other_phone')}
      </button>
    </form>
  );
}
