// The map, loaded only when a map is shown (Leaflet is the largest part of
// the app). By default no request leaves our origin (security review N5: a
// tile server learns every place the office looks at, the victims' homes
// among them): the map draws the district's kecamatan boundaries, served
// with the app (/map/kecamatan-3206.json, MIT, see LICENSE-boundaries.txt),
// under the markers. A deployment may name a tile server it runs itself.
import type { Map as LMap, Marker } from 'leaflet';
import { appConfig } from './appconfig';

export interface PkMap {
  setPoint(name: string, lat: number, lon: number, label: string, draggable?: boolean): void;
  onDrag(name: string, fn: (lat: number, lon: number) => void): void;
  fit(): void;
  destroy(): void;
}

export async function createMap(el: HTMLElement, lat: number, lon: number): Promise<PkMap> {
  const [L, cfg] = await Promise.all([import('leaflet'), appConfig().catch(() => ({ tile_url: '', tile_attribution: '' }))]);
  await import('leaflet/dist/leaflet.css');
  // A zoom limit of its own: a map of boundaries only has none from a tile
  // layer, and Leaflet fits pins on one spot (a companion at the very place)
  // at an infinite zoom: Invalid LatLng (NaN, NaN).
  const map: LMap = L.map(el, { zoomControl: true, attributionControl: true, maxZoom: 19 }).setView([lat, lon], 14);
  // The library's name without its flag: nothing on a victim's screen that
  // is not about her case (apps review, leave fewer traces).
  map.attributionControl.setPrefix('Leaflet');
  if (cfg.tile_url) L.tileLayer(cfg.tile_url, { attribution: cfg.tile_attribution, maxZoom: 19 }).addTo(map);
  else void districtLayer(L, map);
  const markers = new Map<string, Marker>();
  // Colours by class: the CSP allows no inline style.
  const icon = (kind: string) =>
    L.divIcon({ className: `pk-pin pk-pin-${kind}`, html: '<span></span>', iconSize: [24, 24], iconAnchor: [12, 12] });
  return {
    setPoint(name, plat, plon, label, draggable = false) {
      const m = markers.get(name);
      if (m) {
        m.setLatLng([plat, plon]);
        return;
      }
      const marker = L.marker([plat, plon], {
        draggable,
        title: label,
        alt: label,
        keyboard: true,
        icon: icon(name.startsWith('companion') ? 'companion' : 'place'),
      }).addTo(map);
      markers.set(name, marker);
    },
    onDrag(name, fn) {
      markers.get(name)?.on('dragend', (e) => {
        const p = (e.target as Marker).getLatLng();
        fn(p.lat, p.lng);
      });
    },
    fit() {
      // A map whose box is gone or not laid out has no size to fit to.
      if (!el.isConnected || el.clientWidth === 0 || el.clientHeight === 0) return;
      // Without animation: a screen that goes while a zoom animates left
      // Leaflet finishing it on a removed map (Invalid LatLng (NaN, NaN),
      // seen again in the browser journey).
      const pts = [...markers.values()].map((m) => m.getLatLng());
      const bounds = L.latLngBounds(pts);
      // Pins on one spot have no extent to fit: centre on them instead.
      if (pts.length > 1 && !bounds.getNorthEast().equals(bounds.getSouthWest()))
        map.fitBounds(bounds.pad(0.3), { animate: false });
      else if (pts[0]) map.setView(pts[0], 15, { animate: false });
    },
    destroy() {
      map.stop();
      map.remove();
    },
  };
}

// The 39 kecamatan of Kabupaten Tasikmalaya, each named on hover or tap.
let boundaries: Promise<GeoJSON.FeatureCollection | null> | null = null;
async function districtLayer(L: typeof import('leaflet'), map: LMap) {
  boundaries ??= fetch('/map/kecamatan-3206.json')
    .then((r) => (r.ok ? (r.json() as Promise<GeoJSON.FeatureCollection>) : null))
    .catch(() => null);
  const data = await boundaries;
  if (!data) return;
  map.getContainer().classList.add('pk-district');
  // The box may have been laid out after the map was made: measure it
  // again, and draw well beyond the view so that a pan shows no edge.
  map.invalidateSize();
  const renderer = L.svg({ padding: 1 });
  L.geoJSON(data, {
    style: { className: 'pk-kec', weight: 1, renderer },
    onEachFeature: (f, layer) => layer.bindTooltip(String(f.properties?.name ?? ''), { sticky: true }),
  })
    .addTo(map)
    .bringToBack();
  map.attributionControl.addAttribution('Batas wilayah: cahyadsn/wilayah_boundaries (MIT)');
}
