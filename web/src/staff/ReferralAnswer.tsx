// A referral just sent: accept, or decline with a reason (asked twice: a
// declined referral sends the case back to the admin, a day lost).
import { useState } from 'preact/hooks';
import type { StaffLang } from './i18n';
import { CodeSelect } from './CodeSelect';
import { value, type T } from './common';
import type { Act } from './types';

export function ReferralAnswer(props: { t: T; lang: StaffLang; id: string; act: Act }) {
  const { t, lang } = props;
  const [reason, setReason] = useState('out_of_scope');
  const [sure, setSure] = useState(false);
  return (
    <div class="actions">
      <button type="button" class="primary" onClick={() => void props.act('accept')}>
        {t('accept')}
      </button>
      <label for={`decline-${props.id}`}>{t('decline_reason')}</label>
      <CodeSelect id={`decline-${props.id}`} value={reason} onChange={(e) => setReason(value(e))} list="agency_decline" lang={lang} />
      {!sure ? (
        <button type="button" class="danger" onClick={() => setSure(true)}>
          {t('decline')}
        </button>
      ) : (
        <div class="confirm" role="group" aria-label={t('decline')}>
          <p>{t('referral_decline_confirm')}</p>
          <button type="button" class="danger" onClick={() => (setSure(false), void props.act('decline', { reason_code: reason }))}>
            {t('referral_decline_yes')}
          </button>
          <button type="button" onClick={() => setSure(false)}>
            {t('cancel')}
          </button>
        </div>
      )}
    </div>
  );
}
