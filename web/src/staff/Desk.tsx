// The admin's queue, ordered by the one-day promise (the server's order):
// urgent cases whose promise runs pinned on top, then overdue first and by
// time left; unfinished cases by default; filtered by state, kecamatan and
// kind of violence; read again at every case event of the feed (main.tsx).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Schemas } from '../shared/api/client';
import type { StaffLang } from './i18n';
import { CodeSelect } from './CodeSelect';
import { failure, value, type T } from './common';
import { catalogCodes, kecamatanList, word } from './words';
type QueueItem = Schemas['QueueItem'];

export function Desk(props: { t: T; lang: StaffLang; token: string; tick: number; open: (id: string) => void; expired: () => void }) {
  const { t, lang } = props;
  const [items, setItems] = useState<QueueItem[] | null>(null);
  const [total, setTotal] = useState(0);
  const [counts, setCounts] = useState({ overdue: 0, urgent: 0 });
  const [filter, setFilter] = useState({ state: 'open', kecamatan: '', violence_form: '' });
  const [kec, setKec] = useState<{ code: string; name: string }[]>([]);
  const [err, setErr] = useState<string | null>(null);
  const seq = useRef(0);
  useEffect(() => void kecamatanList().then(setKec), []);
  const load = async () => {
    const mine = ++seq.current;
    const q = Object.entries(filter)
      .filter(([, v]) => v)
      .map(([k, v]) => `&${k}=${encodeURIComponent(v)}`)
      .join('');
    try {
      const { data } = await api<{ cases: QueueItem[]; total: number; overdue: number; urgent_open: number }>('GET', `/v1/staff/cases?per_page=100${q}`, {
        token: props.token,
      });
      if (mine !== seq.current) return; // an older answer after a newer one
      setItems(data.cases);
      setTotal(data.total);
      setCounts({ overdue: data.overdue, urgent: data.urgent_open });
      setErr(null);
    } catch (x) {
      setErr(failure(t, x, props.expired));
    }
  };
  useEffect(() => void load(), [filter, props.tick]);
  const kecName = (code: string | null) => kec.find((k) => k.code === code)?.name ?? code ?? '—';
  const now = Date.now();
  const set = (k: keyof typeof filter) => (e: Event) => setFilter({ ...filter, [k]: value(e) });
  return (
    <div>
      <div class="filters" role="search">
        <label>
          {t('filter_state')}
          <CodeSelect id="state" value={filter.state} onChange={set('state')} list="state" lang={lang} empty={t('filter_all')} />
        </label>
        <label>
          {t('kecamatan')}
          <select id="kecamatan" value={filter.kecamatan} onChange={set('kecamatan')}>
            <option value="">{t('filter_all')}</option>
            {kec.map((k) => (
              <option key={k.code} value={k.code}>
                {k.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('kind')}
          <select id="kind" value={filter.violence_form} onChange={set('violence_form')}>
            <option value="">{t('filter_all')}</option>
            {catalogCodes('violence_form').map((f) => (
              <option key={f} value={f}>
                {word('violence_form', f, lang)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p class="status error" role="alert">
        {err ?? ''}
      </p>
      {items && (
        <p class="counts" data-testid="counts">
          {t('count', { n: total })}
          {' · '}
          <span class={counts.overdue ? 'late' : ''}>{t('overdue_n', { n: counts.overdue })}</span>
          {' · '}
          <span>{t('urgent_n', { n: counts.urgent })}</span>
        </p>
      )}
      <table class="queue">
        <caption class="sr">{t('queue')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('ticket')}</th>
            <th scope="col">{t('kind')}</th>
            <th scope="col">{t('filter_state')}</th>
            <th scope="col">{t('kecamatan')}</th>
            <th scope="col">{t('promise')}</th>
            <th scope="col">
              <span class="sr">{t('open')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(items ?? []).map((c) => {
            const left = c.due_at ? new Date(c.due_at).getTime() - now : null;
            return (
              <tr key={c.case_id} class={c.urgent ? 'urgent' : ''} data-ticket={c.ticket} data-case={c.case_id}>
                <td>
                  {c.ticket} {c.urgent && <strong class="tag">{t('urgent')}</strong>} {c.child && <span class="tag">{t('child')}</span>} {c.reach_request && <strong class="tag reach">{t('reach_tag')}</strong>}
                </td>
                <td>{c.violence_forms.map((f) => word('violence_form', f, lang)).join(', ')}</td>
                <td data-state={c.state}>{word('state', c.state, lang)}</td>
                <td>{kecName(c.kecamatan_code)}</td>
                <td data-left={left === null ? undefined : left < 0 ? 'late' : left < 4 * 3600_000 ? 'soon' : 'ok'}>
                  <Left t={t} left={left} />
                </td>
                <td>
                  <button type="button" onClick={() => props.open(c.case_id)} aria-label={`${t('open')} ${c.ticket}`}>
                    {t('open')}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {items && !items.length && <p>{t('empty')}</p>}
    </div>
  );
}

// The time left on the promise: late in red, under 4 hours in amber; a
// dash once the case was referred or is over.
export function Left(props: { t: T; left: number | null }) {
  const { t, left } = props;
  if (left === null) return <span>—</span>;
  const h = Math.floor(Math.abs(left) / 3600_000), m = Math.floor((Math.abs(left) % 3600_000) / 60_000);
  if (left < 0) return <strong class="late">{t('late', { h })}</strong>;
  if (left < 4 * 3600_000) return <strong class="soon">{h ? t('left', { h }) : t('left_min', { m })}</strong>;
  return <span>{t('left', { h })}</span>;
}
