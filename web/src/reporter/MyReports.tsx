// My reports: each with its ticket and state in words.
import { useEffect, useState } from 'preact/hooks';
import { api, type CaseSummary } from '../shared/api/client';
import type { Key } from './i18n';
import { store } from './store';
import type { Screen, T } from './screens';
import { Status } from './Status';

export function MyReports(props: { t: T; go: (s: Screen) => void }) {
  const { t } = props;
  const [items, setItems] = useState<CaseSummary[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    api<{ reports: CaseSummary[] }>('GET', '/v1/reports', { token: store.token() })
      .then((r) => setItems(r.data.reports))
      .catch(() => setErr(t('err_generic')));
  }, []);
  return (
    <div>
      <Status kind={err ? 'error' : 'info'} text={err ?? (items ? null : t('loading'))} />
      {items && !items.length && <p>{t('mine_empty')}</p>}
      <ul class="list">
        {(items ?? []).map((r) => (
          <li key={r.case_id}>
            <button type="button" class="item" onClick={() => props.go({ name: 'detail', id: r.case_id })}>
              <strong>{r.ticket}</strong>
              <span class={'state ' + r.state}>{t(('state_' + r.state) as Key)}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
