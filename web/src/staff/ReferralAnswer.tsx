// A referral just sent: accept, or decline with a reason.
import { useState } from 'preact/hooks';
import type { StaffLang } from './i18n';
import { CodeSelect } from './CodeSelect';
import { value, type T } from './common';
import type { Act } from './types';

export function ReferralAnswer(props: { t: T; lang: StaffLang; id: string; act: Act }) {
  const { t, lang } = props;
  const [reason, setReason] = useState('out_of_scope');
  return (
    <div class="actions">
      <button type="button" class="primary" onClick={() => void props.act('accept')}>
        {t('accept')}
      </button>
      <label for={`decline-${props.id}`}>{t('decline_reason')}</label>
      <CodeSelect id={`decline-${props.id}`} value={reason} onChange={(e) => setReason(value(e))} list="agency_decline" lang={lang} />
      <button type="button" class="danger" onClick={() => void props.act('decline', { reason_code: reason })}>
        {t('decline')}
      </button>
    </div>
  );
}
