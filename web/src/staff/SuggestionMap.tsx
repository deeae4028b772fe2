// The suggestion: nearest on duty first, as a list and on the map; assign.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../shared/api/client';
import type { StaffLang } from './i18n';
import { failure, value, type T } from './common';
import type { Suggestion } from './types';
import { MapBox, km } from './MapBox';

export function SuggestionMap(props: { t: T; lang: StaffLang; token: string; id: string; place: { lat: number; lon: number } | null; reload: () => Promise<void>; expired: () => void }) {
  const { t } = props;
  const [list, setList] = useState<Suggestion[] | null>(null);
  const [placeKnown, setPlaceKnown] = useState(true);
  // Why nobody is suggested: nobody on duty, or everyone on duty full.
  const [why, setWhy] = useState<'suggest_none_off' | 'suggest_none_full'>('suggest_none_off');
  const [prefer, setPrefer] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  const load = async () => {
    try {
      const q = prefer ? `?prefer_sex=${prefer}` : '';
      const { data } = await api<{ companions: Suggestion[]; place_known?: boolean }>('GET', `/v1/staff/cases/${props.id}/companions${q}`, { token: props.token });
      setList(data.companions);
      setPlaceKnown(data.place_known !== false);
      if (!data.companions.length) {
        const all = await api<{ companions: { on_duty: boolean }[] }>('GET', '/v1/staff/companions', { token: props.token });
        setWhy(all.data.companions.some((c) => c.on_duty) ? 'suggest_none_full' : 'suggest_none_off');
      }
    } catch (x) {
      setMsg(failure(t, x, props.expired));
    }
  };
  // Not at every case event: each suggestion reads the case's place, and
  // that opening is recorded; the admin asks again with the button.
  useEffect(() => void load(), [prefer]);
  const assign = async (s: Suggestion) => {
    try {
      await api('POST', `/v1/staff/cases/${props.id}/assign`, { token: props.token, body: { companion_id: s.companion_id } });
      setMsg(t('assigned', { name: s.first_name }));
      await props.reload();
    } catch (x) {
      setMsg(failure(t, x, props.expired));
      void load();
    }
  };
  return (
    <section aria-labelledby="sug-h">
      <h3 id="sug-h">{t('suggest')}</h3>
      <label for="prefer">{t('prefer')}</label>
      <select id="prefer" value={prefer} onChange={(e) => setPrefer(value(e))}>
        <option value="">{t('prefer_none')}</option>
        <option value="F">{t('prefer_f')}</option>
        <option value="M">{t('prefer_m')}</option>
      </select>
      <button type="button" onClick={() => void load()}>
        {t('refresh')}
      </button>
      {!placeKnown && <p class="hint place-unknown">{t('place_not_known')}</p>}
      {placeKnown && !props.place && <p class="hint">{t('place_hidden')}</p>}
      {/* A map with nothing on it (no place, no companion's position) is left out. */}
      {(props.place || (list ?? []).some((s) => s.position)) && <MapBox
        label={`${t('map')}: ${t('suggest')}`}
        deps={[list, props.place]}
        draw={(m) => {
          if (props.place) m.setPoint('place', props.place.lat, props.place.lon, t('place'));
          for (const s of list ?? []) if (s.position) m.setPoint(`companion-${s.companion_id}`, s.position.lat, s.position.lon, `${s.first_name} (${s.badge})`);
        }}
      />}
      <p class="status" role="status">
        {msg ?? ''}
      </p>
      {list && !list.length && <p class="empty">{t(why)}</p>}
      <table class="queue">
        <caption class="sr">{t('suggest')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('companion')}</th>
            <th scope="col">{t('distance')}</th>
            <th scope="col">{t('eta')}</th>
            <th scope="col">{t('load')}</th>
            <th scope="col">{t('preference')}</th>
            <th scope="col">
              <span class="sr">{t('assign')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(list ?? []).map((s) => (
            <tr key={s.companion_id} data-companion={s.badge}>
              <td>
                {s.first_name} ({s.badge}) {s.covers_kecamatan && <span class="tag ok">{t('covers')}</span>}
              </td>
              <td>{s.distance_m !== undefined ? km(s.distance_m) : t('position_unknown')}</td>
              <td>{s.eta_minutes !== undefined ? t('minutes', { n: s.eta_minutes }) : '—'}</td>
              <td>{s.load}</td>
              <td>{s.preference_met ? t('yes') : t('no')}</td>
              <td>
                <button type="button" class="primary" onClick={() => void assign(s)} aria-label={`${t('assign')} ${s.first_name}`}>
                  {t('assign')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
