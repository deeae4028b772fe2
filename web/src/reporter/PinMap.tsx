// The place on a map, with a pin the reporter can drag.
import { useEffect, useRef } from 'preact/hooks';
import type { PkMap } from '../shared/map';

export function PinMap(props: { lat: number; lon: number; label: string; moved: (lat: number, lon: number) => void }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let map: PkMap | null = null;
    let gone = false;
    void import('../shared/map').then(async (m) => {
      if (gone || !el.current) return;
      map = await m.createMap(el.current, props.lat, props.lon);
      map.setPoint('place', props.lat, props.lon, props.label, true);
      map.onDrag('place', props.moved);
    });
    return () => {
      gone = true;
      map?.destroy();
    };
  }, []);
  return <div class="map" ref={el} role="region" aria-label={props.label} />;
}
