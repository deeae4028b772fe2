// One report: its state and history in words, the companion's approach
// when someone is on the way, and withdrawal with a confirmation.
import { useEffect, useState } from 'preact/hooks';
import { api, type MyReport } from '../shared/api/client';
import type { Key } from './i18n';
import { store } from './store';
import type { Screen, T } from './screens';
import { Status } from './Status';

export function ReportDetail(props: { t: T; id: string; go: (s: Screen) => void }) {
  const { t } = props;
  const [r, setR] = useState<MyReport | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const load = () =>
    api<MyReport>('GET', `/v1/reports/${props.id}`, { token: store.token() })
      .then((x) => setR(x.data))
      .catch(() => setErr(t('err_generic')));
  useEffect(() => void load(), []);
  const withdraw = async () => {
    setConfirm(false);
    try {
      await api('POST', `/v1/reports/${props.id}/withdraw`, { token: store.token() });
      await load();
    } catch {
      setErr(t('err_generic'));
    }
  };
  if (!r) return <Status kind={err ? 'error' : 'info'} text={err ?? t('loading')} />;
  const open = !['closed', 'rejected', 'duplicate', 'withdrawn'].includes(r.state);
  return (
    <div>
      <p class="ticket">
        <strong>{r.ticket}</strong> — <span class={'state ' + r.state}>{t(('state_' + r.state) as Key)}</span>
      </p>
      {r.agency && (
        <p class="agency" data-testid="agency">
          {t('mine_agency', { name: r.agency.name ?? r.agency.code })}
          {r.agency.contact ? ` ${t('mine_agency_contact', { contact: r.agency.contact })}` : ''}
        </p>
      )}
      {r.state === 'en_route' && (
        <button type="button" class="primary" onClick={() => props.go({ name: 'companion', id: r.case_id })}>
          {t('mine_track')}
        </button>
      )}
      <h2>{t('mine_timeline')}</h2>
      <ol class="timeline">
        {r.timeline.map((s, i) => (
          <li key={i}>
            <span>{t(('state_' + s.state) as Key)}</span>{' '}
            <time dateTime={s.at}>{new Date(s.at).toLocaleString('id-ID', { timeZone: 'Asia/Jakarta' })} WIB</time>
          </li>
        ))}
      </ol>
      <Status kind="error" text={err} />
      {open && !confirm && (
        <button type="button" class="danger" onClick={() => setConfirm(true)}>
          {t('mine_withdraw')}
        </button>
      )}
      {confirm && (
        <div class="confirm" role="alertdialog" aria-label={t('mine_withdraw')}>
          <p>{t('mine_withdraw_confirm')}</p>
          <button type="button" class="danger" onClick={() => void withdraw()}>
            {t('mine_withdraw_yes')}
          </button>
          <button type="button" onClick={() => setConfirm(false)}>
            {t('cancel')}
          </button>
        </div>
      )}
    </div>
  );
}
