// The companion's phone: on or off duty (the position is sent while on
// duty, often while en route), the visits with their steps, the place with
// a link to the phone's map app, and the identification report, whose
// draft stays on the phone until it is accepted and which is sent again
// safely after a lost connection (Idempotency-Key).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, HttpError, OfflineError, type Schemas } from '../api/client';
import type { StaffLang } from './i18n';
import type { T } from './common';
import { codes, kecamatanList, loadCatalogWords, word } from './words';

type Visit = Schemas['Visit'];
const NEEDS = ['medical', 'legal', 'psychological', 'shelter', 'economic'];
const AGENCIES = codes('agency');
const GUARDIAN = codes('guardian');
const DECLINE = codes('visit_decline');

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

export function Companion(props: { t: T; lang: StaffLang; token: string; expired: () => void }) {
  const { t, lang } = props;
  const [onDuty, setOnDuty] = useState(false);
  const [visits, setVisits] = useState<Visit[]>([]);
  const [open, setOpen] = useState<Visit | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [gpsErr, setGpsErr] = useState(false);
  const [kec, setKec] = useState<{ code: string; name: string }[]>([]);
  useEffect(() => void kecamatanList().then(setKec), []);
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
        setGpsErr(false);
        void send();
      },
      () => setGpsErr(true),
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
      setStatus(x instanceof HttpError ? x.error.message : t('offline'));
    }
  };
  const step = async (v: Visit, what: string, body?: unknown) => {
    try {
      const { data } = await api<Visit>('POST', `/v1/companion/visits/${v.visit_id}/${what}`, { token: props.token, body });
      setStatus(t('done'));
      await load();
      if (open) setOpen({ ...open, ...data });
    } catch (x) {
      setStatus(x instanceof HttpError ? x.error.message : t('offline'));
    }
  };
  const openPlace = async (v: Visit) => {
    const { data } = await api<Visit>('GET', `/v1/companion/visits/${v.visit_id}`, { token: props.token });
    setOpen(data);
  };
  return (
    <div>
      <p class={'live ' + (onDuty ? 'on' : 'off')} role="status" data-testid="duty">
        {onDuty ? `${enRoute ? t('c_duty_route') : t('c_duty')}${sent ? ` ${t('c_last', { at: sent })}` : ''}` : t('c_off')}
      </p>
      <button type="button" class={onDuty ? '' : 'primary'} onClick={() => void duty(!onDuty)}>
        {onDuty ? t('c_stop') : t('c_start')}
      </button>
      {gpsErr && onDuty && <p class="status error">{t('c_no_gps')}</p>}
      <p class="status" role="status" data-testid="phone-status">
        {status ?? ''}
      </p>
      <h2>{t('c_visits')}</h2>
      {!visits.length && <p>{t('c_none')}</p>}
      <ul class="list">
        {visits.map((v) => (
          <li key={v.visit_id} class="visit" data-visit={v.visit_id}>
            <p>
              <strong>{kec.find((k) => k.code === v.kecamatan_code)?.name ?? v.kecamatan_code ?? '—'}</strong> ·{' '}
              <span data-testid="visit-state" data-state={v.state}>
                {word('visit', v.state, lang)}
              </span>
            </p>
            {v.state === 'assigned' && (
              <div>
                <button type="button" class="primary" onClick={() => void step(v, 'accept')}>
                  {t('accept')}
                </button>
                <label for={`decline-${v.visit_id}`}>{t('decline_reason')}</label>
                <select id={`decline-${v.visit_id}`}>
                  {DECLINE.map((r) => (
                    <option key={r} value={r}>
                      {word('visit_decline', r, lang)}
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
                  {t('decline')}
                </button>
              </div>
            )}
            {['assigned', 'accepted', 'en_route', 'on_site'].includes(v.state) && (
              <button type="button" onClick={() => void openPlace(v)}>
                {t('c_open_place')}
              </button>
            )}
            {open?.visit_id === v.visit_id && open.location && (
              <p>
                {t('c_place_recorded')}{' '}
                <a href={`geo:${open.location.lat},${open.location.lon}`} rel="noreferrer">
                  {t('c_map_app')}
                </a>
              </p>
            )}
            {(v.state === 'assigned' || v.state === 'accepted') && (
              <button type="button" class="primary" onClick={() => void step(v, 'en-route')}>
                {t('c_leave')}
              </button>
            )}
            {v.state === 'en_route' && (
              <button type="button" class="primary" onClick={() => void step(v, 'arrived')}>
                {t('c_arrived')}
              </button>
            )}
            {v.state === 'on_site' && <Identification t={t} lang={lang} token={props.token} visit={v} done={() => (setStatus(t('c_ident_ok')), void load())} />}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Identification(props: { t: T; lang: StaffLang; token: string; visit: Visit; done: () => void }) {
  const { t, lang } = props;
  const [d, setD] = useState<IdentDraft>(() => loadDraft(props.visit.visit_id));
  const [, setWords] = useState(0);
  useEffect(() => void loadCatalogWords().then(() => setWords(1)), []);
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
      setStatus(t('c_ident_ok'));
      props.done();
    } catch (x) {
      if (x instanceof OfflineError) setStatus(t('c_ident_offline'));
      else setStatus(x instanceof HttpError ? x.error.message : t('offline'));
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
      <h3>{t('c_ident')}</h3>
      <label class="choice">
        <input type="checkbox" checked={d.situation_confirmed} onChange={(e) => update({ ...d, situation_confirmed: (e.target as HTMLInputElement).checked })} />
        {t('c_confirmed')}
      </label>
      <label class="choice">
        <input type="checkbox" checked={d.immediate_danger} onChange={(e) => update({ ...d, immediate_danger: (e.target as HTMLInputElement).checked })} />
        {t('c_danger')}
      </label>
      <fieldset>
        <legend>{t('c_needs')}</legend>
        {NEEDS.map((n) => (
          <label class="choice" key={n}>
            <input type="checkbox" checked={d.needs.includes(n)} onChange={(e) => update({ ...d, needs: toggle(d.needs, n, (e.target as HTMLInputElement).checked) })} />
            {word('need', n, lang)}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>{t('c_consent')}</legend>
        {AGENCIES.map((a) => (
          <label class="choice" key={a}>
            <input
              type="checkbox"
              checked={d.consented_agencies.includes(a)}
              onChange={(e) => update({ ...d, consented_agencies: toggle(d.consented_agencies, a, (e.target as HTMLInputElement).checked) })}
            />
            {word('agency', a, lang)}
          </label>
        ))}
      </fieldset>
      <label for="guardian">{t('c_guardian')}</label>
      <select id="guardian" value={d.guardian_situation} onChange={(e) => update({ ...d, guardian_situation: (e.target as HTMLSelectElement).value })}>
        {GUARDIAN.map((g) => (
          <option key={g} value={g}>
            {word('guardian', g, lang)}
          </option>
        ))}
      </select>
      <label for="ident-notes">{t('notes_sealed')}</label>
      <textarea id="ident-notes" value={d.notes} onInput={(e) => update({ ...d, notes: (e.target as HTMLTextAreaElement).value })} />
      <p class="status" role="status">
        {status ?? ''}
      </p>
      <button type="submit" class="primary">
        {t('c_ident_send')}
      </button>
    </form>
  );
}
