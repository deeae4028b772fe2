// The companion's phone: on or off duty (read back from the server after a
// reload; the position is sent while on duty, often while en route, with
// the screen kept on), the visits with their steps, the place with a link
// to the phone's map app, and the identification report, whose draft stays
// on the phone until it is accepted and which is sent again safely after a
// lost connection (Idempotency-Key). Declining a visit and going off duty
// ask first.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, HttpError } from '../shared/api/client';
import type { StaffLang } from './i18n';
import type { T } from './common';
import { codes, kecamatanList, word } from './words';
import type { Visit } from './types';
import { CaseBrief, type Brief } from './CaseBrief';
import { pushNow, pushOff, pushOn, type PushState } from './push';
import { ReachRequest } from './ReachRequest';
import { IdentificationForm } from './IdentificationForm';
const DECLINE = codes('visit_decline');

export function CompanionPhone(props: { t: T; lang: StaffLang; token: string; expired: () => void }) {
  const { t, lang } = props;
  const [onDuty, setOnDuty] = useState(false);
  const [visits, setVisits] = useState<Visit[]>([]);
  const [open, setOpen] = useState<Visit | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [gpsErr, setGpsErr] = useState(false);
  const [kec, setKec] = useState<{ code: string; name: string }[]>([]);
  useEffect(() => void kecamatanList().then(setKec), []);
  const [sent, setSent] = useState<string | null>(null);
  const [unsent, setUnsent] = useState(false);
  const enRoute = visits.some((v) => v.state === 'en_route');
  // What waits for a second tap: going off duty, or declining a visit.
  const [confirm, setConfirm] = useState<string | null>(null);
  // How a new visit reaches her: a notification on this phone, or SMS.
  const [push, setPush] = useState<PushState | null>(null);
  // Duty as the server holds it (a reload must not show "off" while on).
  useEffect(() => {
    void api<{ on_duty: boolean }>('GET', '/v1/companion/status', { token: props.token })
      .then(({ data }) => {
        setOnDuty(data.on_duty);
        // After a reload too, she is told how a new visit reaches her.
        if (data.on_duty) void pushNow(props.token).then(setPush);
      })
      .catch((x) => x instanceof HttpError && x.status === 401 && props.expired());
  }, []);
  // En route the screen stays on: positions stop when it goes dark.
  useEffect(() => {
    if (!enRoute || !('wakeLock' in navigator)) return;
    let lock: WakeLockSentinel | null = null;
    let live = true;
    const take = () =>
      void navigator.wakeLock
        .request('screen')
        .then((l) => (live ? (lock = l) : void l.release()))
        .catch(() => undefined);
    take();
    const again = () => document.visibilityState === 'visible' && take();
    document.addEventListener('visibilitychange', again);
    return () => {
      live = false;
      document.removeEventListener('visibilitychange', again);
      void lock?.release();
    };
  }, [enRoute]);
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
        setUnsent(false);
        setSent(new Date().toLocaleTimeString('id-ID'));
      } catch {
        setUnsent(true); /* no signal: the latest position goes at the next try */
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
      if (on) void pushOn(props.token).then(setPush);
      else void pushOff(props.token).then(() => setPush(null));
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
  // The place (dispatch) and the case brief (intake), each opening recorded.
  const [brief, setBrief] = useState<{ visit: string; b: Brief } | null>(null);
  const openPlace = async (v: Visit) => {
    try {
      const [place, b] = await Promise.all([
        api<Visit>('GET', `/v1/companion/visits/${v.visit_id}`, { token: props.token }),
        api<Brief>('GET', `/v1/companion/cases/${v.case_id}/brief`, { token: props.token }),
      ]);
      setOpen(place.data);
      setBrief({ visit: v.visit_id, b: b.data });
    } catch (x) {
      setStatus(x instanceof HttpError ? x.error.message : t('offline'));
    }
  };
  return (
    <div>
      <p class={'live ' + (onDuty ? 'on' : 'off')} role="status" data-testid="duty">
        {onDuty ? `${enRoute ? t('c_duty_route') : t('c_duty')}${sent ? ` ${t('c_last', { at: sent })}` : ''}${unsent ? ` ${t('c_unsent')}` : ''}` : t('c_off')}
      </p>
      {confirm !== 'duty' && (
        <button type="button" class={onDuty ? '' : 'primary'} onClick={() => (onDuty ? setConfirm('duty') : void duty(true))}>
          {onDuty ? t('c_stop') : t('c_start')}
        </button>
      )}
      {confirm === 'duty' && (
        <div class="confirm" role="group" aria-label={t('c_stop')}>
          <p>{t('c_stop_confirm')}</p>
          <button type="button" class="danger" onClick={() => (setConfirm(null), void duty(false))}>
            {t('c_stop_yes')}
          </button>
          <button type="button" onClick={() => setConfirm(null)}>
            {t('cancel')}
          </button>
        </div>
      )}
      {onDuty && push && (
        <p class="hint" data-testid="push">
          {t(push === 'on' ? 'c_push_on' : 'c_push_sms')}
        </p>
      )}
      {onDuty && enRoute && <p class="hint">{t('c_screen_on')}</p>}
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
                {confirm !== v.visit_id ? (
                  <button type="button" class="danger" onClick={() => setConfirm(v.visit_id)}>
                    {t('decline')}
                  </button>
                ) : (
                  <div class="confirm" role="group" aria-label={t('decline')}>
                    <p>{t('c_decline_confirm')}</p>
                    <button
                      type="button"
                      class="danger"
                      onClick={() => {
                        setConfirm(null);
                        void step(v, 'decline', { reason_code: (document.getElementById(`decline-${v.visit_id}`) as HTMLSelectElement).value });
                      }}
                    >
                      {t('c_decline_yes')}
                    </button>
                    <button type="button" onClick={() => setConfirm(null)}>
                      {t('cancel')}
                    </button>
                  </div>
                )}
              </div>
            )}
            {['assigned', 'accepted', 'en_route', 'on_site'].includes(v.state) && (
              <button type="button" onClick={() => void openPlace(v)}>
                {t('c_open_place')}
              </button>
            )}
            {/* The brief and the place, while the visit lasts: not after it ended. */}
            {brief?.visit === v.visit_id && ['assigned', 'accepted', 'en_route', 'on_site'].includes(v.state) && (
              <CaseBrief t={t} lang={lang} b={brief.b} kecName={kec.find((k) => k.code === brief.b.kecamatan_code)?.name ?? null} />
            )}
            {open?.visit_id === v.visit_id && open.location && ['assigned', 'accepted', 'en_route', 'on_site'].includes(v.state) && (
              <p>
                {t('c_place_recorded')}{' '}
                <a href={`geo:${open.location.lat},${open.location.lon}`} rel="noreferrer">
                  {t('c_map_app')}
                </a>
              </p>
            )}
            {['accepted', 'en_route', 'on_site'].includes(v.state) && (
              <ReachRequest t={t} lang={lang} token={props.token} caseId={v.case_id} expired={props.expired} />
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
            {v.state === 'on_site' && <IdentificationForm t={t} lang={lang} token={props.token} visit={v} done={() => (setStatus(t('c_ident_ok')), void load())} />}
          </li>
        ))}
      </ul>
    </div>
  );
}
