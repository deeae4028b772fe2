// A Leaflet map in a box; `draw` places the points whenever they change.
import { useEffect, useRef, useState } from 'preact/hooks';
import { createMap, type PkMap } from '../shared/map';
// The middle of Kabupaten Tasikmalaya, for a map with nothing known yet.
const DISTRICT = { lat: -7.45, lon: 108.2 };

export function MapBox(props: { label: string; draw: (m: PkMap) => void; deps: unknown[] }) {
  const el = useRef<HTMLDivElement>(null);
  const map = useRef<PkMap | null>(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let gone = false;
    void createMap(el.current!, DISTRICT.lat, DISTRICT.lon).then((m) => {
      if (gone) return m.destroy();
      map.current = m;
      setReady(true);
    });
    return () => {
      gone = true;
      map.current?.destroy();
      map.current = null;
    };
  }, []);
  useEffect(() => {
    if (map.current) {
      props.draw(map.current);
      map.current.fit();
    }
  }, [ready, ...props.deps]);
  return <div ref={el} class="map" role="region" aria-label={props.label} data-testid="map" />;
}

// A distance as people say it.
export const km = (m: number) => (m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`);
