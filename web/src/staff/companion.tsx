// The companion's phone: on or off duty (the position is sent while on
// duty, often while en route), the visits with their steps, the place with
// a link to the phone's map app, and the identification report, whose
// draft stays on the phone until it is accepted and which is sent again
// safely after a lost connection (Idempotency-Key).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, HttpError, OfflineError, type Catalog, type Schemas } from '../api/client';

type Visit = Schemas['Visit'];
const NEEDS = ['medical', 'legal', 'psychological', 'shelter', 'economic'];
const AGENCIES = ['uptd_ppa', 'puspaga', 'faskes', 'polres_ppa', 'lbh'];
// Codes in words: the needs from the code lists, the agencies from the directory.
const AGENCY_NAMES: Record<string, string> = {
  uptd_ppa: 'UPTD PPA',
  puspaga: 'Puspaga',
  faskes: 'Fasilitas kesehatan',
  polres_ppa: 'Unit PPA Polres',
  lbh: 'Bantuan hukum (LBH)',
};
const GUARDIAN_WORDS: Record<string, string> = {
  not_child: 'Bukan anak',
  with_parents: 'Bersama orang tua',
  with_relative: 'Bersama kerabat',
  guardian_is_perpetrator: 'Wali adalah pelaku',
  no_guardian: 'Tanpa wali',
  institution: 'Di lembaga',
};
const STATE_WORDS: Record<string, string> = {
  assigned: 'Ditugaskan',
  accepted: 'Diterima',
  en_route: 'Dalam perjalanan',
  on_site: 'Di lokasi',
  completed: 'Selesai',
  declined: 'Ditolak',
  cancelled: 'Dibatalkan',
};
const DECLINE_WORDS: Record<string, string> = {
  unavailable: 'Tidak tersedia',
  too_far: 'Terlalu jauh',
  unsafe: 'Tidak aman',
  conflict_of_interest: 'Ada konflik kepentingan',
  other: 'Lainnya',
};
const GUARDIAN = ['not_child', 'with_parents', 'with_relative', 'guardian_is_perpetrator', 'no_guardian', 'institution'];
const DECLINE = ['unavailable', 'too_far', 'unsafe', 'conflict_of_interest', 'other'];

interface IdentDraft {
  key: string;
  situation_confirmed: boolean;
  immediate_danger: boolean;
  needs: string[];
  consented_agencies: string[];
  guardian_situation: string;
  notes: string;
}
const draftKey = (visit: string) => `pk.ident.${visit}`;
function loadDraft(visit: string): IdentDraft {
  const d = localStorage.getItem(draftKey(visit));
  if (d) return JSON.parse(d) as IdentDraft;
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return {
    key: Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''),
    situation_confirmed: true,
    immediate_danger: false,
    needs: [],
    consented_agencies: [],
    guardian_situation: 'not_child',
    notes: '',
  };
}
// Wiped on logout with everything else of this app.
export function wipeCompanionDrafts(): void {
  for (const k of Object.keys(localStorage)) if (k.startsWith('pk.ident.')) localStorage.removeItem(k);
}

export function Companion(props: { token: string; expired: () => void }) {
  const [onDuty, setOnDuty] = useState(false);
  const [visits, setVisits] = useState<Visit[]>([]);
  const [open, setOpen] = useState<Visit | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const enRoute = visits.some((v) => v.state === 'en_route');
  const load = async () => {
    try {
      const { data } = await api<{ visits: Visit[] }>('GET', '/v1/companion/visits', { token: props.token });
      setVisits(data.visits);
    } catch (x) {
      if (x instanceof HttpError && x.status === 401) props.expired();
    }
  };
  useEffect(() => {
    void load();
    const id = setInterval(() => void load(), 5000);
    return () => clearInterval(id);
  }, []);
  // The position, while on duty: every 5 s en route, every 30 s otherwise;
  // one taken without signal waits and the latest goes when it returns.
  const last = useRef<{ lat: number; lon: number; acc: number } | null>(null);
  const lastSent = useRef(0);
  useEffect(() => {
    if (!onDuty || !navigator.geolocation) return;
    const send = async () => {
      const p = last.current;
      if (!p) return;
      const every = enRoute ? 5000 : 30000;
      if (Date.now() - lastSent.current < every) return;
      try {
        await api('POST', '/v1/companion/location', { token: props.token, body: { lat: p.lat, lon: p.lon, accuracy_m: Math.min(p.acc, 100000) } });
        lastSent.current = Date.now();
        setSent(new Date().toLocaleTimeString('id-ID'));
      } catch {
        /* no signal: the latest position goes at the next try */
      }
    };
    const watch = navigator.geolocation.watchPosition(
      (pos) => {
        last.current = { lat: pos.coords.latitude, lon: pos.coords.longitude, acc: pos.coords.accuracy };
        void send();
      },
      () => setStatus('Lokasi HP tidak tersedia'),
      { enableHighAccuracy: true, maximumAge: 5000 },
    );
    const tick = setInterval(() => void send(), 2500);
    return () => {
      navigator.geolocation.clearWatch(watch);
      clearInterval(tick);
    };
  }, [onDuty, enRoute]);
  const duty = async (on: boolean) => {
    try {
      await api('PUT', '/v1/companion/status', { token: props.token, body: { on_duty: on } });
      setOnDuty(on);
      lastSent.current = 0;
    } catch (x) {
      setStatus(x instanceof HttpError ? x.error.message : 'Gagal');
    }
  };
  const step = async (v: Visit, what: string, body?: unknown) => {
    try {
      const { data } = await api<Visit>('POST', `/v1/companion/visits/${v.visit_id}/${what}`, { token: props.token, body });
      setStatus('Tersimpan');
      await load();
      if (open) setOpen({ ...open, ...data });
    } catch (x) {
      setStatus(x instanceof HttpError ? x.error.message : 'Tidak ada sinyal, coba lagi');
    }
  };
  const openPlace = async (v: Visit) => {
    const { data } = await api<Visit>('GET', `/v1/companion/visits/${v.visit_id}`, { token: props.token });
    setOpen(data);
  };
  return (
    <div>
      <p class={'live ' + (onDuty ? 'on' : 'off')} role="status" data-testid="duty">
        {onDuty
          ? `Bertugas. Posisi Anda dikirim setiap ${enRoute ? '5 detik (dalam perjalanan)' : '30 detik'}.${sent ? ` Terakhir: ${sent}.` : ''}`
          : 'Tidak bertugas. Posisi Anda tidak dikirim.'}
      </p>
      <button type="button" class={onDuty ? '' : 'primary'} onClick={() => void duty(!onDuty)}>
        {onDuty ? 'Selesai bertugas' : 'Mulai bertugas'}
      </button>
      <p class="status" role="status">
        {status ?? ''}
      </p>
      <h2>Kunjungan</h2>
      {!visits.length && <p>Belum ada kunjungan.</p>}
      <ul class="list">
        {visits.map((v) => (
          <li key={v.visit_id} class="visit" data-visit={v.visit_id}>
            <p>
              <strong>{v.kecamatan_code ?? '—'}</strong> ·{' '}
              <span data-testid="visit-state" data-state={v.state}>
                {STATE_WORDS[v.state] ?? v.state}
              </span>
            </p>
            {v.state === 'assigned' && (
              <div>
                <button type="button" class="primary" onClick={() => void step(v, 'accept')}>
                  Terima
                </button>
                <label for={`decline-${v.visit_id}`}>Alasan menolak</label>
                <select id={`decline-${v.visit_id}`}>
                  {DECLINE.map((r) => (
                    <option key={r} value={r}>
                      {DECLINE_WORDS[r]}
                    </option>
                  ))}
                </select>
                <button
                  type="button"
                  class="danger"
                  onClick={() =>
                    void step(v, 'decline', { reason_code: (document.getElementById(`decline-${v.visit_id}`) as HTMLSelectElement).value })
                  }
                >
                  Tolak
                </button>
              </div>
            )}
            {['assigned', 'accepted', 'en_route', 'on_site'].includes(v.state) && (
              <button type="button" onClick={() => void openPlace(v)}>
                Buka tempat (dicatat)
              </button>
            )}
            {open?.visit_id === v.visit_id && open.location && (
              <p>
                Pembukaan tempat ini dicatat.{' '}
                <a href={`geo:${open.location.lat},${open.location.lon}`} rel="noreferrer">
                  Buka di aplikasi peta
                </a>
              </p>
            )}
            {(v.state === 'assigned' || v.state === 'accepted') && (
              <button type="button" class="primary" onClick={() => void step(v, 'en-route')}>
                Berangkat
              </button>
            )}
            {v.state === 'en_route' && (
              <button type="button" class="primary" onClick={() => void step(v, 'arrived')}>
                Sudah tiba
              </button>
            )}
            {v.state === 'on_site' && <Identification token={props.token} visit={v} done={() => void load()} />}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Identification(props: { token: string; visit: Visit; done: () => void }) {
  const [d, setD] = useState<IdentDraft>(() => loadDraft(props.visit.visit_id));
  const [needWords, setNeedWords] = useState<Record<string, string>>({});
  useEffect(() => {
    api<Catalog>('GET', '/v1/catalog')
      .then((r) => setNeedWords(Object.fromEntries(r.data.need.map((n) => [n.code, n.label_id]))))
      .catch(() => undefined);
  }, []);
  const [status, setStatus] = useState<string | null>(null);
  const update = (next: IdentDraft) => {
    setD(next);
    localStorage.setItem(draftKey(props.visit.visit_id), JSON.stringify(next));
  };
  const toggle = (list: string[], v: string, on: boolean) => (on ? [...list, v] : list.filter((x) => x !== v));
  const send = async () => {
    const body = {
      situation_confirmed: d.situation_confirmed,
      immediate_danger: d.immediate_danger,
      needs: d.needs,
      recommended_agencies: d.consented_agencies,
      referral_consent: d.consented_agencies.length > 0,
      consented_agencies: d.consented_agencies,
      guardian_situation: d.guardian_situation,
      ...(d.notes ? { notes: d.notes } : {}),
    };
    try {
      await api('POST', `/v1/companion/visits/${props.visit.visit_id}/identification`, {
        token: props.token,
        body,
        headers: { 'idempotency-key': d.key },
      });
      localStorage.removeItem(draftKey(props.visit.visit_id));
      setStatus('Laporan identifikasi diterima');
      props.done();
    } catch (x) {
      if (x instanceof OfflineError) setStatus('Tidak ada sinyal. Draf tersimpan; kirim lagi saat ada sinyal.');
      else setStatus(x instanceof HttpError ? x.error.message : 'Gagal');
    }
  };
  return (
    <form
      class="ident"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <h3>Laporan identifikasi</h3>
      <label class="choice">
        <input type="checkbox" checked={d.situation_confirmed} onChange={(e) => update({ ...d, situation_confirmed: (e.target as HTMLInputElement).checked })} />
        Situasi sesuai laporan
      </label>
      <label class="choice">
        <input type="checkbox" checked={d.immediate_danger} onChange={(e) => update({ ...d, immediate_danger: (e.target as HTMLInputElement).checked })} />
        Korban dalam bahaya segera
      </label>
      <fieldset>
        <legend>Kebutuhan</legend>
        {NEEDS.map((n) => (
          <label class="choice" key={n}>
            <input type="checkbox" checked={d.needs.includes(n)} onChange={(e) => update({ ...d, needs: toggle(d.needs, n, (e.target as HTMLInputElement).checked) })} />
            {needWords[n] ?? n}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Korban setuju dirujuk ke</legend>
        {AGENCIES.map((a) => (
          <label class="choice" key={a}>
            <input
              type="checkbox"
              checked={d.consented_agencies.includes(a)}
              onChange={(e) => update({ ...d, consented_agencies: toggle(d.consented_agencies, a, (e.target as HTMLInputElement).checked) })}
            />
            {AGENCY_NAMES[a]}
          </label>
        ))}
      </fieldset>
      <label for="guardian">Situasi wali (untuk anak)</label>
      <select id="guardian" value={d.guardian_situation} onChange={(e) => update({ ...d, guardian_situation: (e.target as HTMLSelectElement).value })}>
        {GUARDIAN.map((g) => (
          <option key={g} value={g}>
            {GUARDIAN_WORDS[g]}
          </option>
        ))}
      </select>
      <label for="ident-notes">Catatan (dirahasiakan)</label>
      <textarea id="ident-notes" value={d.notes} onInput={(e) => update({ ...d, notes: (e.target as HTMLTextAreaElement).value })} />
      <p class="status" role="status">
        {status ?? ''}
      </p>
      <button type="submit" class="primary">
        Kirim laporan identifikasi
      </button>
    </form>
  );
}
