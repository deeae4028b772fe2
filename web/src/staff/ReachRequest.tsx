// The companion asks the office to reach the reporter (issue 22 §3): she
// never holds the reporter's number; she says why, and an admin calls
// within the reporter's safe hours.
import { useState } from 'preact/hooks';
import { api } from '../shared/api/client';
import type { StaffLang } from './i18n';
import { CodeSelect } from './CodeSelect';
import { failure, value, type T } from './common';

export function ReachRequest(props: { t: T; lang: StaffLang; token: string; caseId: string; expired: () => void }) {
  const { t, lang } = props;
  const [why, setWhy] = useState('cannot_find_place');
  const [msg, setMsg] = useState<string | null>(null);
  const ask = async () => {
    try {
      const { data } = await api<{ repeated: boolean }>('POST', `/v1/companion/cases/${props.caseId}/reach-request`, {
        token: props.token,
        body: { reason_code: why },
      });
      setMsg(t(data.repeated ? 'c_reach_waiting' : 'c_reach_sent'));
    } catch (x) {
      setMsg(failure(t, x, props.expired));
    }
  };
  const id = `reach-${props.caseId}`;
  return (
    <details class="reach-ask">
      <summary>{t('c_reach')}</summary>
      <p class="hint">{t('c_reach_hint')}</p>
      <label for={id}>{t('c_reach_why')}</label>
      <CodeSelect id={id} value={why} onChange={(e) => setWhy(value(e))} list="reach" lang={lang} />
      <button type="button" onClick={() => void ask()}>
        {t('c_reach')}
      </button>
      <p class="status" role="status" data-testid="reach-status">
        {msg ?? ''}
      </p>
    </details>
  );
}
