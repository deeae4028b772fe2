// The visit followed live on the map: the approach stream opens once the
// companion is on the way, and ends at arrival.
import { useEffect, useState } from 'preact/hooks';
import type { Approach } from '../shared/api/client';
import { readEvents } from '../shared/sse';
import type { T } from './common';
import { MapBox, km } from './MapBox';

export function VisitMap(props: { t: T; token: string; id: string; state: string; place: { lat: number; lon: number } | null }) {
  const { t } = props;
  const [a, setA] = useState<Approach | null>(null);
  const [over, setOver] = useState<string | null>(null);
  useEffect(() => {
    if (props.state !== 'en_route') return;
    const abort = new AbortController();
    const loop = async () => {
      while (!abort.signal.aborted) {
        try {
          await readEvents(`/v1/staff/cases/${props.id}/companion/stream`, props.token, abort.signal, (event, data) => {
            if (event === 'approach') setA(JSON.parse(data) as Approach);
            if (event === 'end') setOver((JSON.parse(data) as { reason: string }).reason);
          });
        } catch {
          /* dropped: try again */
        }
        if (!abort.signal.aborted) await new Promise((r) => setTimeout(r, 2000));
      }
    };
    void loop();
    return () => abort.abort();
  }, [props.state]);
  const arrived = props.state === 'on_site' || over === 'arrived';
  return (
    <section aria-labelledby="follow-h">
      <h3 id="follow-h">{t('follow')}</h3>
      <p role="status" data-testid="follow">
        {arrived
          ? t('follow_arrived')
          : props.state === 'assigned'
            ? t('follow_waiting')
            : a?.position && a.distance_m !== undefined
              ? t('follow_on_way', { name: a.companion.first_name, badge: a.companion.badge, d: km(a.distance_m), m: a.eta_minutes ?? 0 })
              : t('follow_no_position')}
      </p>
      <MapBox
        label={`${t('map')}: ${t('follow')}`}
        deps={[a, props.place]}
        draw={(m) => {
          if (props.place) m.setPoint('place', props.place.lat, props.place.lon, t('place'));
          if (a?.position) m.setPoint('companion', a.position.lat, a.position.lon, `${a.companion.first_name} (${a.companion.badge})`);
        }}
      />
    </section>
  );
}
