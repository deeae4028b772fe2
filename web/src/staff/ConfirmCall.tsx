// The confirmation call: an unsafe time is refused by the server unless the
// admin writes why; then the outcome, verify or reject.
import { useState } from 'preact/hooks';
import type { StaffLang } from './i18n';
import { CodeSelect } from './CodeSelect';
import { value, type T } from './common';
import type { Step } from './types';

export function ConfirmCall(props: { t: T; lang: StaffLang; step: Step; personal: boolean }) {
  const { t, lang } = props;
  const [outcome, setOutcome] = useState('reached');
  const [override, setOverride] = useState('');
  const [needOverride, setNeedOverride] = useState(false);
  const [rejectReason, setRejectReason] = useState('false_report');
  const call = async () => {
    const err = await props.step('calls', { outcome, ...(override ? { override_reason: override } : {}) });
    setNeedOverride(err?.error.code === 'unsafe_call_time');
    if (!err) setOverride('');
  };
  return (
    <section aria-labelledby="call-h">
      <h3 id="call-h">{t('call')}</h3>
      {!props.personal && <p class="hint">{t('call_first')}</p>}
      <label for="outcome">{t('call_outcome')}</label>
      <select id="outcome" value={outcome} onChange={(e) => setOutcome(value(e))}>
        <option value="reached">{t('call_reached')}</option>
        <option value="not_reached">{t('call_not_reached')}</option>
        <option value="false_report">{t('call_false')}</option>
      </select>
      {needOverride && (
        <div>
          <p class="error">{t('call_unsafe')}</p>
          <label for="override">{t('override')}</label>
          <input id="override" value={override} onInput={(e) => setOverride(value(e))} />
        </div>
      )}
      <div class="actions">
        <button type="button" onClick={() => void call()}>
          {t('call_save')}
        </button>
        <button type="button" class="primary" onClick={() => void props.step('verify')}>
          {t('verify')}
        </button>
      </div>
      <label for="reject-reason">{t('reject_reason')}</label>
      <CodeSelect id="reject-reason" value={rejectReason} onChange={(e) => setRejectReason(value(e))} list="reject" lang={lang} />
      <button type="button" class="danger" onClick={() => void props.step('reject', { reason_code: rejectReason })}>
        {t('reject')}
      </button>
    </section>
  );
}
