// A case on the admin's desk: its personal data behind a stated purpose
// (the opening is recorded), the confirmation call with the reporter's
// safety choices first, verify, reject, duplicate, notes; the companion
// suggested on a map, assigned and followed live until arrival; the
// referral with the consent the companion recorded; the timeline in words.
// Read again at every case event of the feed.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, HttpError, type Approach, type Schemas } from '../api/client';
import { createMap, type PkMap } from '../map';
import { readEvents } from '../sse';
import type { StaffLang } from './i18n';
import { CodeSelect } from './ui';
import { checked, failure, value, type Session, type T } from './common';
import { kecamatanList, when, word } from './words';

type CaseDetail = Schemas['CaseDetail'];
type Referral = Schemas['Referral'];
interface Suggestion {
  companion_id: string;
  first_name: string;
  badge: string;
  position_known: boolean;
  distance_m?: number;
  eta_minutes?: number;
  load: number;
  preference_met: boolean;
  covers_kecamatan: boolean;
  position?: { lat: number; lon: number };
}
interface Agency {
  code: Schemas['AgencyCode'];
  name: string;
  services: string[];
}
// The middle of Kabupaten Tasikmalaya, for a map with nothing known yet.
const DISTRICT = { lat: -7.45, lon: 108.2 };

interface Props {
  t: T;
  lang: StaffLang;
  session: Session;
  id: string;
  tick: number;
  back: () => void;
  expired: () => void;
}

export function CasePage(props: Props) {
  const { t, lang } = props;
  const token = props.session.token;
  const admin = props.session.role === 'admin';
  const [c, setC] = useState<CaseDetail | null>(null);
  const [personal, setPersonal] = useState<CaseDetail['personal'] | null>(null);
  const [purpose, setPurpose] = useState('confirmation_call');
  const [status, setStatus] = useState<string | null>(null);
  const [kecName, setKecName] = useState<string | null>(null);
  const load = async () => {
    try {
      const { data } = await api<CaseDetail>('GET', `/v1/staff/cases/${props.id}`, { token });
      setC(data);
      const k = await kecamatanList();
      setKecName(k.find((x) => x.code === data.kecamatan_code)?.name ?? data.kecamatan_code ?? null);
    } catch (x) {
      setStatus(failure(t, x, props.expired));
    }
  };
  useEffect(() => void load(), [props.tick]);
  const openPersonal = async () => {
    try {
      const { data } = await api<CaseDetail>('GET', `/v1/staff/cases/${props.id}?purpose=${purpose}`, { token });
      setPersonal(data.personal ?? null);
      setC(data);
    } catch (x) {
      setStatus(failure(t, x, props.expired));
    }
  };
  // A step of the case; answers with true when it was taken.
  const step = async (path: string, body?: unknown): Promise<HttpError | null> => {
    try {
      await api('POST', `/v1/staff/cases/${props.id}/${path}`, { token, body });
      setStatus(t('done'));
      await load();
      return null;
    } catch (x) {
      setStatus(failure(t, x, props.expired));
      return x instanceof HttpError ? x : null;
    }
  };
  if (!c)
    return (
      <p role="status" class="status">
        {status ?? '…'}
      </p>
    );
  const place = personal?.report && typeof personal.report.lat === 'number' && typeof personal.report.lon === 'number'
    ? { lat: personal.report.lat, lon: personal.report.lon }
    : null;
  return (
    <div class="case">
      <button type="button" class="link" onClick={props.back}>
        {t('back')}
      </button>
      <h2>
        {t('case', { ticket: c.ticket })} —{' '}
        <span data-testid="case-state" data-state={c.state}>
          {word('state', c.state, lang)}
        </span>
      </h2>
      <p>
        {c.urgent && <strong class="tag">{t('urgent')}</strong>} {c.child && <span class="tag">{t('child')}</span>}{' '}
        {c.violence_forms.map((f) => word('violence_form', f, lang)).join(', ')} · {t('kecamatan')} {kecName ?? '—'} ·{' '}
        {t('reported_at', { at: when(c.created_at, lang) })} · {t('calls', { n: c.call_attempts })}
      </p>
      <p class="status" role="status" data-testid="case-status">
        {status ?? ''}
      </p>
      <section aria-labelledby="personal-h">
        <h3 id="personal-h">{t('personal')}</h3>
        {!personal && (
          <div>
            <p class="hint">{t('personal_why')}</p>
            <label for="purpose">{t('purpose')}</label>
            <CodeSelect id="purpose" value={purpose} onChange={(e) => setPurpose(value(e))} list="purpose" lang={lang} />
            <button type="button" onClick={() => void openPersonal()}>
              {t('show_personal')}
            </button>
          </div>
        )}
        {personal && <Personal t={t} p={personal} />}
      </section>
      {admin && c.state === 'submitted' && <Confirm t={t} lang={lang} step={step} personal={!!personal} />}
      {admin && c.state === 'submitted' && <Duplicate t={t} token={token} id={c.case_id} step={step} expired={props.expired} />}
      {admin && c.state === 'verified' && (
        <Suggest t={t} lang={lang} token={token} id={c.case_id} place={place} reload={load} expired={props.expired} />
      )}
      {['assigned', 'en_route', 'on_site'].includes(c.state) && <Follow t={t} token={token} id={c.case_id} state={c.state} place={place} />}
      {['assessed', 'referred', 'accepted', 'declined', 'closed'].includes(c.state) && (
        <Referrals t={t} lang={lang} token={token} c={c} admin={admin} tick={props.tick} reload={load} expired={props.expired} />
      )}
      <Note t={t} step={step} />
      <h3>{t('timeline')}</h3>
      <ol class="timeline">
        {c.timeline.map((e, i) => (
          <li key={i}>
            <time dateTime={e.at}>{when(e.at, lang)}</time> · {word('step', e.kind, lang)}
            {e.kind === 'state' ? ` · ${word('state', e.state, lang)}` : ''}
            {e.reason_code ? ` · ${reason(e.kind, e.reason_code, lang)}` : ''}
          </li>
        ))}
      </ol>
    </div>
  );
}

// The reason a timeline entry carries, in words where the list is known.
function reason(kind: string, code: string, lang: StaffLang): string {
  if (kind === 'access') return word('access', code, lang);
  if (kind === 'call') return word('call', code, lang);
  if (kind === 'dispatch:visit_declined') return word('visit_decline', code, lang);
  if (kind === 'referral:referral_declined') return word('agency_decline', code, lang);
  if (kind === 'referral:referral_closed') return word('outcome', code, lang);
  for (const list of ['access', 'call', 'reject', 'outcome', 'agency_decline'] as const) if (word(list, code, lang) !== code) return word(list, code, lang);
  return code;
}

// The personal data of a case, the reporter's safety choices first.
export function Personal(props: { t: T; p: NonNullable<CaseDetail['personal']> }) {
  const { t, p } = props;
  const safety = p.contact_safety;
  return (
    <dl>
      <dt>{t('safety_first')}</dt>
      <dd data-testid="safety" class="safety">
        {t('safe_hours')}: {safety?.safe_hours ?? '—'} · {t('safe_channel')}: {safety?.safe_channel ?? '—'}
        {safety?.phone_monitored ? ` · ${t('monitored')}` : ''}
      </dd>
      <dt>{t('phone')}</dt>
      <dd>{p.reporter_phone ?? '—'}</dd>
      <dt>{t('victim_name')}</dt>
      <dd>{p.report?.victim_name ?? '—'}</dd>
      <dt>{t('address')}</dt>
      <dd>{p.report?.address ?? '—'}</dd>
      <dt>{t('account')}</dt>
      <dd>{p.report?.account ?? '—'}</dd>
    </dl>
  );
}

type Step = (path: string, body?: unknown) => Promise<HttpError | null>;

// The confirmation call: an unsafe time is refused by the server unless the
// admin writes why; then the outcome, verify or reject.
function Confirm(props: { t: T; lang: StaffLang; step: Step; personal: boolean }) {
  const { t, lang } = props;
  const [outcome, setOutcome] = useState('reached');
  const [override, setOverride] = useState('');
  const [needOverride, setNeedOverride] = useState(false);
  const [rejectReason, setRejectReason] = useState('false_report');
  const call = async () => {
    const err = await props.step('calls', { outcome, ...(override ? { override_reason: override } : {}) });
    setNeedOverride(err?.error.code === 'unsafe_call_time');
    if (!err) setOverride('');
  };
  return (
    <section aria-labelledby="call-h">
      <h3 id="call-h">{t('call')}</h3>
      {!props.personal && <p class="hint">{t('call_first')}</p>}
      <label for="outcome">{t('call_outcome')}</label>
      <select id="outcome" value={outcome} onChange={(e) => setOutcome(value(e))}>
        <option value="reached">{t('call_reached')}</option>
        <option value="not_reached">{t('call_not_reached')}</option>
        <option value="false_report">{t('call_false')}</option>
      </select>
      {needOverride && (
        <div>
          <p class="error">{t('call_unsafe')}</p>
          <label for="override">{t('override')}</label>
          <input id="override" value={override} onInput={(e) => setOverride(value(e))} />
        </div>
      )}
      <div class="actions">
        <button type="button" onClick={() => void call()}>
          {t('call_save')}
        </button>
        <button type="button" class="primary" onClick={() => void props.step('verify')}>
          {t('verify')}
        </button>
      </div>
      <label for="reject-reason">{t('reject_reason')}</label>
      <CodeSelect id="reject-reason" value={rejectReason} onChange={(e) => setRejectReason(value(e))} list="reject" lang={lang} />
      <button type="button" class="danger" onClick={() => void props.step('reject', { reason_code: rejectReason })}>
        {t('reject')}
      </button>
    </section>
  );
}

// A duplicate: the other case found by its ticket, shown, then marked.
function Duplicate(props: { t: T; token: string; id: string; step: Step; expired: () => void }) {
  const { t } = props;
  const [ticket, setTicket] = useState('');
  const [found, setFound] = useState<Schemas['QueueItem'] | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const search = async (e: Event) => {
    e.preventDefault();
    setFound(null);
    try {
      const { data } = await api<{ cases: Schemas['QueueItem'][] }>('GET', `/v1/staff/cases?ticket=${encodeURIComponent(ticket.trim())}`, {
        token: props.token,
      });
      const other = data.cases.find((x) => x.case_id !== props.id) ?? null;
      setFound(other);
      setMsg(other ? null : t('dup_none'));
    } catch (x) {
      setMsg(x instanceof HttpError && x.status === 422 ? t('dup_format') : failure(t, x, props.expired));
    }
  };
  return (
    <section aria-labelledby="dup-h">
      <h3 id="dup-h">{t('dup')}</h3>
      <form onSubmit={search} class="inline">
        <label for="dup-ticket">{t('dup_ticket')}</label>
        <input id="dup-ticket" value={ticket} placeholder="PK-7KQ4-M9XD" onInput={(e) => setTicket(value(e))} />
        <button type="submit">{t('search')}</button>
      </form>
      <p class="status" role="status">
        {msg ?? ''}
      </p>
      {found && (
        <p>
          {t('dup_found', { ticket: found.ticket, at: new Date(found.created_at).toLocaleDateString('id-ID') })}{' '}
          <button type="button" class="danger" onClick={() => void props.step('duplicate', { of: found.case_id })}>
            {t('dup_mark')}
          </button>
        </p>
      )}
    </section>
  );
}

function Note(props: { t: T; step: Step }) {
  const { t } = props;
  const [text, setText] = useState('');
  return (
    <section aria-labelledby="note-h">
      <h3 id="note-h">{t('notes')}</h3>
      <p class="hint">{t('notes_hint')}</p>
      <label for="note" class="sr">
        {t('notes')}
      </label>
      <textarea id="note" maxLength={4000} value={text} onInput={(e) => setText(value(e))} />
      <button type="button" disabled={!text.trim()} onClick={() => void props.step('notes', { text }).then((err) => !err && setText(''))}>
        {t('note_add')}
      </button>
    </section>
  );
}

// A Leaflet map in a box; `draw` places the points whenever they change.
function MapBox(props: { label: string; draw: (m: PkMap) => void; deps: unknown[] }) {
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

const km = (m: number) => (m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`);

// The suggestion: nearest on duty first, as a list and on the map; assign.
function Suggest(props: { t: T; lang: StaffLang; token: string; id: string; place: { lat: number; lon: number } | null; reload: () => Promise<void>; expired: () => void }) {
  const { t } = props;
  const [list, setList] = useState<Suggestion[] | null>(null);
  const [prefer, setPrefer] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  const load = async () => {
    try {
      const q = prefer ? `?prefer_sex=${prefer}` : '';
      const { data } = await api<{ companions: Suggestion[] }>('GET', `/v1/staff/cases/${props.id}/companions${q}`, { token: props.token });
      setList(data.companions);
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
      {!props.place && <p class="hint">{t('place_hidden')}</p>}
      <MapBox
        label={`${t('map')}: ${t('suggest')}`}
        deps={[list, props.place]}
        draw={(m) => {
          if (props.place) m.setPoint('place', props.place.lat, props.place.lon, t('place'));
          for (const s of list ?? []) if (s.position) m.setPoint(`companion-${s.companion_id}`, s.position.lat, s.position.lon, `${s.first_name} (${s.badge})`);
        }}
      />
      <p class="status" role="status">
        {msg ?? ''}
      </p>
      {list && !list.length && <p>{t('suggest_none')}</p>}
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

// The visit followed live on the map: the approach stream opens once the
// companion is on the way, and ends at arrival.
function Follow(props: { t: T; token: string; id: string; state: string; place: { lat: number; lon: number } | null }) {
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

// The referrals of the case with their progress, and the form for a new
// one: the consent the companion recorded for the agency chosen, and a
// legal basis asked where there is none.
function Referrals(props: { t: T; lang: StaffLang; token: string; c: CaseDetail; admin: boolean; tick: number; reload: () => Promise<void>; expired: () => void }) {
  const { t, lang, c } = props;
  const [refs, setRefs] = useState<Referral[]>([]);
  const [agencies, setAgencies] = useState<Agency[]>([]);
  const [form, setForm] = useState({ agency: '', services: [] as string[], reason: 'identification_needs', urgent: c.urgent, legal: '' });
  const [msg, setMsg] = useState<string | null>(null);
  const load = async () => {
    try {
      const [r, a] = await Promise.all([
        api<{ referrals: Referral[] }>('GET', `/v1/staff/cases/${c.case_id}/referrals`, { token: props.token }),
        agencies.length ? Promise.resolve(null) : api<{ agencies: Agency[] }>('GET', '/v1/staff/agencies', { token: props.token }),
      ]);
      setRefs(r.data.referrals);
      if (a) {
        setAgencies(a.data.agencies);
        const first = c.identification?.consented_agencies[0] ?? a.data.agencies[0]?.code ?? '';
        const svc = a.data.agencies.find((x) => x.code === first)?.services ?? [];
        setForm((f) => ({ ...f, agency: f.agency || first, services: f.services.length ? f.services : svc.slice(0, 1) }));
      }
    } catch (x) {
      setMsg(failure(t, x, props.expired));
    }
  };
  useEffect(() => void load(), [props.tick]);
  const ident = c.identification;
  const consented = !!ident?.referral_consent && ident.consented_agencies.includes(form.agency as Schemas['AgencyCode']);
  const agency = agencies.find((a) => a.code === form.agency);
  const canRefer = props.admin && (c.state === 'assessed' || c.state === 'declined');
  const send = async (e: Event) => {
    e.preventDefault();
    if (!consented && !form.legal) {
      setMsg(t('legal_needed'));
      return;
    }
    try {
      await api('POST', `/v1/staff/cases/${c.case_id}/referrals`, {
        token: props.token,
        body: {
          agency_code: form.agency,
          services: form.services,
          reason_code: form.reason,
          urgent: form.urgent,
          ...(consented ? {} : { legal_basis_code: form.legal }),
        },
      });
      setMsg(t('referred', { agency: word('agency', form.agency, lang) }));
      await Promise.all([load(), props.reload()]);
    } catch (x) {
      setMsg(x instanceof HttpError && x.error.code === 'consent_required' ? t('legal_needed') : failure(t, x, props.expired));
    }
  };
  return (
    <section aria-labelledby="ref-h">
      <h3 id="ref-h">{t('referral')}</h3>
      {ident && (
        <p data-testid="consent">
          {ident.referral_consent && ident.consented_agencies.length
            ? t('consent_to', { list: ident.consented_agencies.map((a) => word('agency', a, lang)).join(', ') })
            : t('consent_none')}{' '}
          {ident.needs.length > 0 && t('needs', { list: ident.needs.map((n) => word('need', n, lang)).join(', ') })}
        </p>
      )}
      {refs.length > 0 && (
        <table class="queue">
          <caption class="sr">{t('referral')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('agency')}</th>
              <th scope="col">{t('filter_state')}</th>
              <th scope="col">{t('due')}</th>
              <th scope="col">{t('follow_ups')}</th>
            </tr>
          </thead>
          <tbody>
            {refs.map((r) => (
              <tr key={r.referral_id} data-agency={r.agency_code} data-state={r.state}>
                <td>
                  {word('agency', r.agency_code, lang)} {r.urgent && <strong class="tag">{t('urgent')}</strong>}
                  {r.legal_basis_code && <span class="tag">{word('legal_basis', r.legal_basis_code, lang)}</span>}
                </td>
                <td>
                  {word('referral', r.state, lang)}
                  {r.decline_reason_code ? ` · ${word('agency_decline', r.decline_reason_code, lang)}` : ''}
                  {r.outcome_code ? ` · ${word('outcome', r.outcome_code, lang)}` : ''}
                </td>
                <td>
                  {r.state === 'sent' ? when(r.due_at_us / 1000, lang) : '—'} {r.overdue && <strong class="tag">{t('overdue')}</strong>}
                </td>
                <td>{r.follow_ups}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canRefer && (
        <form onSubmit={send} class="refer">
          <label for="agency">{t('agency')}</label>
          <select
            id="agency"
            value={form.agency}
            onChange={(e) => {
              const code = value(e);
              setForm({ ...form, agency: code, services: (agencies.find((a) => a.code === code)?.services ?? []).slice(0, 1), legal: '' });
            }}
          >
            {agencies.map((a) => (
              <option key={a.code} value={a.code}>
                {word('agency', a.code, lang)} — {a.name}
              </option>
            ))}
          </select>
          <p data-testid="consent-agency" class={consented ? 'ok' : 'error'}>
            {consented ? t('consent_yes') : t('consent_no')}
          </p>
          {!consented && (
            <div>
              <label for="legal">{t('legal_basis')}</label>
              <CodeSelect id="legal" value={form.legal} onChange={(e) => setForm({ ...form, legal: value(e) })} list="legal_basis" lang={lang} empty={t('choose')} />
            </div>
          )}
          <fieldset>
            <legend>{t('services')}</legend>
            {(agency?.services ?? []).map((s) => (
              <label class="choice" key={s}>
                <input
                  type="checkbox"
                  checked={form.services.includes(s)}
                  onChange={(e) => setForm({ ...form, services: checked(e) ? [...form.services, s] : form.services.filter((x) => x !== s) })}
                />
                {word('service', s, lang)}
              </label>
            ))}
          </fieldset>
          <label for="ref-reason">{t('ref_reason')}</label>
          <CodeSelect id="ref-reason" value={form.reason} onChange={(e) => setForm({ ...form, reason: value(e) })} list="referral_reason" lang={lang} />
          <label class="choice">
            <input type="checkbox" checked={form.urgent} onChange={(e) => setForm({ ...form, urgent: checked(e) })} />
            {t('urgent')}
          </label>
          <button type="submit" class="primary" disabled={!form.services.length}>
            {t('refer')}
          </button>
        </form>
      )}
      <p class="status" role="status">
        {msg ?? ''}
      </p>
    </section>
  );
}
