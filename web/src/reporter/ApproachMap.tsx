// The companion is coming: their first name and badge, where they are on
// the map and how far, live from the approach stream until arrival.
import { useEffect, useRef, useState } from 'preact/hooks';
import { store } from './store';
import { readEvents } from '../shared/sse';
import type { PkMap } from '../shared/map';
import type { T } from './screens';

export function ApproachMap(props: { t: T; id: string }) {
  const { t } = props;
  const el = useRef<HTMLDivElement>(null);
  const [text, setText] = useState<string>(t('loading'));
  const [who, setWho] = useState<string>('');
  useEffect(() => {
    const abort = new AbortController();
    // One map, made once even when approaches arrive together; nothing
    // touches it after the screen is gone (a map without a size has no
    // bounds to fit).
    let map: Promise<PkMap> | null = null;
    const place = store.place(props.id);
    const token = store.token() ?? '';
    void readEvents(`/v1/reports/${props.id}/companion/stream`, token, abort.signal, (event, data) => {
      const a = JSON.parse(data) as { state?: string; companion?: { first_name: string; badge: string }; position?: { lat: number; lon: number } | null; distance_m?: number; eta_minutes?: number; reason?: string };
      if (event === 'end') {
        setText(a.reason === 'arrived' ? t('comp_arrived') : t('comp_over'));
        store.forgetPlace(props.id); /* the visit is over: the place is not kept (N9) */
        return;
      }
      if (a.companion) setWho(t('comp_badge', { name: a.companion.first_name, badge: a.companion.badge }));
      if (a.distance_m === undefined) {
        setText(t('comp_unknown'));
        return;
      }
      const min = a.eta_minutes ?? 0;
      const km = (a.distance_m / 1000).toLocaleString(document.documentElement.lang, { maximumFractionDigits: 1 });
      setText(a.distance_m >= 1000 ? t('comp_distance', { km, min }) : t('comp_distance_m', { m: a.distance_m, min }));
      // A distance without a position: the companion is still near a place
      // visited before, which nobody else may see; the map waits.
      if (!a.position) return;
      const pos = a.position;
      const box = el.current;
      if (!box) return;
      map ??= import('../shared/map')
        .then((m) => m.createMap(box, pos.lat, pos.lon))
        .then((m) => {
          if (place) m.setPoint('place', place.lat, place.lon, t('comp_place'));
          return m;
        });
      void map
        .then((m) => {
          if (abort.signal.aborted) return;
          m.setPoint('companion', pos.lat, pos.lon, t('comp_here'));
          m.fit();
        })
        .catch(() => undefined);
    })
      .then((status) => {
        if (status === 409) setText(t('comp_not_yet'));
        else if (status === 410) {
          setText(t('comp_over'));
          store.forgetPlace(props.id);
        } else if (status === 401) store.forgetPlaces();
      })
      .catch(() => undefined);
    return () => {
      abort.abort();
      void map?.then((m) => m.destroy()).catch(() => undefined);
    };
  }, []);
  return (
    <div>
      <p class="who">{who}</p>
      <p class="distance" role="status" aria-live="polite" data-testid="distance">
        {text}
      </p>
      <div class="map" ref={el} role="region" aria-label={t('comp_title')} />
    </div>
  );
}
