// The reporter's app: one page that changes screens without changing its
// address (nothing personal reaches the browser's history).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { api, HttpError, type Catalog, type MyReport, type Regions, type CaseSummary } from '../shared/api/client';
import { LANGS, t, type Key, type Lang } from './i18n';
import { flush, onQueueChange, submit, type Outcome } from './outbox';
import { newKey, store, wipeDevice, type Draft, type Settings } from './store';
import { readEvents } from '../shared/sse';
import type { PkMap } from '../shared/map';

type Screen =
  | { name: 'register' }
  | { name: 'code'; phone: string; wait: number }
  | { name: 'safety'; first: boolean }
  | { name: 'home' }
  | { name: 'wizard' }
  | { name: 'sent'; ticket: string }
  | { name: 'waiting' }
  | { name: 'mine' }
  | { name: 'detail'; id: string }
  | { name: 'companion'; id: string }
  | { name: 'settings' };

type T = (key: Key, vars?: Record<string, string | number>) => string;

// ---- shared pieces -------------------------------------------------------------

function Frame(props: { t: T; lang: Lang; setLang: (l: Lang) => void; title: string; children: ComponentChildren }) {
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => h1.current?.focus(), [props.title]);
  return (
    <div class="frame">
      <header class="bar">
        <label class="lang">
          <span class="sr">{props.t('language')}</span>
          <select value={props.lang} onChange={(e) => props.setLang((e.target as HTMLSelectElement).value as Lang)}>
            {LANGS.map((l) => (
              <option value={l.code} key={l.code}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
        <button class="exit" type="button" aria-describedby="exit-hint" onClick={() => void quickExit()}>
          {props.t('exit')}
        </button>
        <span id="exit-hint" class="sr">
          {props.t('exit_hint')}
        </span>
      </header>
      <main>
        <h1 tabIndex={-1} ref={h1}>
          {props.title}
        </h1>
        {props.children}
      </main>
    </div>
  );
}

async function quickExit(): Promise<void> {
  await wipeDevice();
  location.replace('/neutral.html');
}

function Field(props: { id: string; label: string; error?: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class={'field' + (props.error ? ' invalid' : '')} data-field={props.id}>
      <label for={props.id}>{props.label}</label>
      {props.hint && <p class="hint">{props.hint}</p>}
      {props.children}
      {props.error && (
        <p class="error" id={props.id + '-error'} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

function Status(props: { text: string | null; kind?: 'error' | 'info' }) {
  return (
    <p class={'status ' + (props.kind ?? 'info')} role={props.kind === 'error' ? 'alert' : 'status'} aria-live="polite">
      {props.text ?? ''}
    </p>
  );
}

// ---- registration ----------------------------------------------------------------

function Register(props: { t: T; go: (s: Screen) => void }) {
  const { t } = props;
  const [phone, setPhone] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async (e: Event) => {
    e.preventDefault();
    const digits = phone.replace(/[^0-9+]/g, '');
    if (!/^(\+?62|0)8\d{8,11}$/.test(digits)) {
      setErr(t('err_phone'));
      return;
    }
    setBusy(true);
    setErr(null);
    try {
      await api('POST', '/v1/auth/otp', { body: { phone } });
      props.go({ name: 'code', phone, wait: 60 });
    } catch (x) {
      if (x instanceof HttpError && x.status === 429) props.go({ name: 'code', phone, wait: x.retryAfter });
      else if (x instanceof HttpError && x.status === 422) setErr(t('err_phone'));
      else setErr(t('err_generic'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={send} noValidate>
      <p>{t('tagline')}</p>
      <Field id="phone" label={t('reg_phone')} hint={t('reg_phone_hint')} error={err ?? undefined}>
        <input
          id="phone"
          type="tel"
          inputMode="tel"
          autoComplete="tel"
          value={phone}
          aria-invalid={err ? 'true' : 'false'}
          onInput={(e) => setPhone((e.target as HTMLInputElement).value)}
        />
      </Field>
      <button class="primary" type="submit" disabled={busy}>
        {t('reg_send')}
      </button>
    </form>
  );
}

function Code(props: { t: T; phone: string; wait: number; go: (s: Screen) => void; signedIn: (token: string) => void }) {
  const { t } = props;
  const [code, setCode] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const [left, setLeft] = useState(props.wait);
  useEffect(() => {
    const id = setInterval(() => setLeft((s) => Math.max(0, s - 1)), 1000);
    return () => clearInterval(id);
  }, []);
  const verify = async (e: Event) => {
    e.preventDefault();
    try {
      const { data } = await api<{ token: string }>('POST', '/v1/auth/otp/verify', {
        body: { phone: props.phone, code: code.trim() },
      });
      props.signedIn(data.token);
    } catch (x) {
      setErr(x instanceof HttpError && (x.status === 401 || x.status === 422) ? t('err_code') : t('err_generic'));
    }
  };
  const resend = async () => {
    try {
      await api('POST', '/v1/auth/otp', { body: { phone: props.phone } });
      setLeft(60);
    } catch (x) {
      if (x instanceof HttpError && x.status === 429) {
        setLeft(x.retryAfter);
        setErr(t('err_wait', { s: x.retryAfter }));
      } else setErr(t('err_generic'));
    }
  };
  return (
    <form onSubmit={verify} noValidate>
      <p>{t('code_sent', { phone: props.phone })}</p>
      <Field id="code" label={t('code_label')} error={err ?? undefined}>
        <input
          id="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={6}
          value={code}
          aria-invalid={err ? 'true' : 'false'}
          onInput={(e) => setCode((e.target as HTMLInputElement).value)}
        />
      </Field>
      <button class="primary" type="submit">
        {t('code_verify')}
      </button>
      <button type="button" disabled={left > 0} onClick={() => void resend()}>
        {left > 0 ? t('code_resend_in', { s: left }) : t('code_resend')}
      </button>
      <button type="button" class="link" onClick={() => props.go({ name: 'register' })}>
        {t('code_other_phone')}
      </button>
    </form>
  );
}

// ---- contact safety ----------------------------------------------------------------

const HOURS = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`);

function Safety(props: { t: T; catalog: Catalog | null; lang: Lang; done: () => void }) {
  const { t } = props;
  const saved = store.draft()?.body.contact_safety;
  const [from, setFrom] = useState(saved?.safe_hours?.slice(0, 5) ?? '08:00');
  const [to, setTo] = useState(saved?.safe_hours?.slice(6) ?? '17:00');
  const [channel, setChannel] = useState<string>(saved?.safe_channel ?? 'call');
  const [monitored, setMonitored] = useState(saved?.phone_monitored ?? false);
  const [status, setStatus] = useState<string | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    const body = { safe_hours: `${from}-${to === '00:00' ? '23:59' : to}`, safe_channel: channel, phone_monitored: monitored };
    try {
      await api('PUT', '/v1/me/contact-safety', { token: store.token(), body });
      const d = store.draft();
      if (d) store.setDraft({ ...d, body: { ...d.body, contact_safety: body as never } });
      setStatus(t('safety_saved'));
      props.done();
    } catch {
      setStatus(t('err_generic'));
    }
  };
  const channels = props.catalog?.safe_channel ?? [];
  return (
    <form onSubmit={save}>
      <p>{t('safety_intro')}</p>
      <fieldset>
        <legend>{t('safety_hours')}</legend>
        <p class="hint">{t('safety_hours_why')}</p>
        <div class="row">
          <Field id="safe-from" label={t('safety_from')}>
            <select id="safe-from" value={from} onChange={(e) => setFrom((e.target as HTMLSelectElement).value)}>
              {HOURS.map((h) => (
                <option key={h}>{h}</option>
              ))}
            </select>
          </Field>
          <Field id="safe-to" label={t('safety_to')}>
            <select id="safe-to" value={to} onChange={(e) => setTo((e.target as HTMLSelectElement).value)}>
              {[...HOURS.slice(1), '23:59'].map((h) => (
                <option key={h}>{h}</option>
              ))}
            </select>
          </Field>
        </div>
      </fieldset>
      <fieldset>
        <legend>{t('safety_channel')}</legend>
        <p class="hint">{t('safety_channel_why')}</p>
        {channels.map((c) => (
          <label class="choice" key={c.code}>
            <input type="radio" name="channel" value={c.code} checked={channel === c.code} onChange={() => setChannel(c.code)} />
            {props.lang === 'en' ? c.label_en : c.label_id}
          </label>
        ))}
      </fieldset>
      <label class="choice">
        <input type="checkbox" checked={monitored} onChange={(e) => setMonitored((e.target as HTMLInputElement).checked)} />
        {t('safety_monitored')}
      </label>
      <p class="hint">{t('safety_monitored_why')}</p>
      <Status text={status} />
      <button class="primary" type="submit">
        {t('save')}
      </button>
    </form>
  );
}

// ---- the report wizard ----------------------------------------------------------------

const TOTAL = 7;
// The step that holds a field the server named.
function stepOf(field: string): number {
  if (field.startsWith('reporter')) return 1;
  if (field.startsWith('violence_forms')) return 2;
  if (field.startsWith('incident')) return 3;
  if (field.startsWith('location') || field.startsWith('place_type')) return 4;
  if (field.startsWith('perpetrator')) return 5;
  if (field.startsWith('victim')) return 6;
  return 7;
}

function emptyDraft(): Draft {
  return {
    step: 1,
    key: newKey(),
    body: { reporter: { kind: 'victim' }, victim: {}, violence_forms: [], location: {} } as Draft['body'],
  };
}

function Wizard(props: {
  t: T;
  lang: Lang;
  catalog: Catalog | null;
  regions: Regions | null;
  done: (o: Outcome) => void;
  serverErrors: Record<string, string>;
}) {
  const { t, lang } = props;
  const [d, setD] = useState<Draft>(() => store.draft() ?? emptyDraft());
  const [errors, setErrors] = useState<Record<string, string>>(props.serverErrors);
  const [askLocation, setAskLocation] = useState(false);
  const [locNote, setLocNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const b = d.body;
  const label = (c: { label_id: string; label_en: string }) => (lang === 'en' ? c.label_en : c.label_id);
  const update = (body: Draft['body'], step = d.step) => {
    const next = { ...d, body, step };
    setD(next);
    store.setDraft(next);
  };
  useEffect(() => {
    if (Object.keys(props.serverErrors).length) {
      const first = Object.keys(props.serverErrors)[0] ?? '';
      const next = { ...d, step: stepOf(first) };
      setD(next);
      store.setDraft(next);
    }
  }, [props.serverErrors]);

  // Client-side checks mirroring the server's, per step.
  const check = (step: number): Record<string, string> => {
    const e: Record<string, string> = {};
    if (step === 1 && b.reporter.kind === 'witness' && !b.reporter.relation) e['reporter.relation'] = t('err_required');
    if (step === 2 && !b.violence_forms.length) e.violence_forms = t('err_required');
    if (step === 3 && b.incident?.at && new Date(b.incident.at).getTime() > Date.now() + 300_000)
      e['incident.at'] = t('err_generic');
    if (step === 4) {
      const l = b.location;
      const hasPoint = typeof l.lat === 'number' && typeof l.lon === 'number';
      if (!hasPoint && !l.kecamatan_code) e['location.kecamatan_code'] = t('err_where');
      if (hasPoint && !l.kecamatan_code && (l.lat! < -7.9 || l.lat! > -6.98 || l.lon! < 107.85 || l.lon! > 108.49))
        e['location.kecamatan_code'] = t('err_where');
    }
    if (step === 6) {
      const v = b.victim;
      if (v.age === undefined && !v.age_band && v.child === undefined) e['victim.age'] = t('err_age');
      if (v.age !== undefined && (!Number.isInteger(v.age) || v.age < 0 || v.age > 120)) e['victim.age'] = t('err_age');
    }
    return e;
  };
  const next = () => {
    const e = check(d.step);
    setErrors(e);
    if (!Object.keys(e).length) update(b, Math.min(TOTAL, d.step + 1));
  };
  const send = async () => {
    for (let s = 1; s <= TOTAL; s++) {
      const e = check(s);
      if (Object.keys(e).length) {
        setErrors(e);
        update(b, s);
        return;
      }
    }
    setBusy(true);
    const o = await submit(b, d.key);
    setBusy(false);
    if (o.kind === 'invalid') {
      setErrors(o.fields);
      update(b, stepOf(Object.keys(o.fields)[0] ?? ''));
      return;
    }
    if (o.kind === 'sent' || o.kind === 'waiting') store.setDraft(null);
    props.done(o);
  };
  const useLocation = () => {
    setAskLocation(false);
    if (!navigator.geolocation) {
      setLocNote(t('wiz_location_none'));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => {
        update({ ...b, location: { ...b.location, lat: p.coords.latitude, lon: p.coords.longitude } });
        setLocNote(t('wiz_location_set'));
      },
      () => setLocNote(t('wiz_location_none')),
      { enableHighAccuracy: true, timeout: 15000 },
    );
  };
  const err = (k: string) => errors[k];
  const kec = props.regions?.kecamatan ?? [];
  const desa = kec.find((k) => k.code === b.location.kecamatan_code)?.desa ?? [];
  const titles: Key[] = ['wiz_who_title', 'wiz_what_title', 'wiz_when_title', 'wiz_where_title', 'wiz_perp_title', 'wiz_victim_title', 'wiz_danger_title'];
  return (
    <div class="wizard">
      <p class="step">{t('wiz_step', { n: d.step, total: TOTAL })}</p>
      <h2>{t(titles[d.step - 1] ?? 'wiz_who_title')}</h2>
      {Object.keys(errors).length > 0 && <Status kind="error" text={t('err_check')} />}
      {d.step === 1 && (
        <fieldset>
          <legend class="sr">{t('wiz_who_title')}</legend>
          <label class="choice">
            <input type="radio" name="who" checked={b.reporter.kind === 'victim'} onChange={() => update({ ...b, reporter: { kind: 'victim' } })} />
            {t('wiz_who_me')}
          </label>
          <label class="choice">
            <input type="radio" name="who" checked={b.reporter.kind === 'witness'} onChange={() => update({ ...b, reporter: { kind: 'witness' } })} />
            {t('wiz_who_other')}
          </label>
          {b.reporter.kind === 'witness' && (
            <Field id="reporter.relation" label={t('wiz_relation_witness')} error={err('reporter.relation')}>
              <select
                id="reporter.relation"
                value={b.reporter.relation ?? ''}
                aria-invalid={err('reporter.relation') ? 'true' : 'false'}
                onChange={(e) => update({ ...b, reporter: { ...b.reporter, relation: (e.target as HTMLSelectElement).value as never } })}
              >
                <CodeOptions choose={t('wiz_choose')} items={props.catalog?.relation ?? []} text={label} />
              </select>
            </Field>
          )}
        </fieldset>
      )}
      {d.step === 2 && (
        <fieldset class={err('violence_forms') ? 'invalid' : ''} data-field="violence_forms">
          <legend>{t('wiz_what_hint')}</legend>
          {(props.catalog?.violence_form ?? []).map((c) => (
            <label class="choice tall" key={c.code}>
              <input
                type="checkbox"
                checked={b.violence_forms.includes(c.code as never)}
                onChange={(e) => {
                  const on = (e.target as HTMLInputElement).checked;
                  const forms = on ? [...b.violence_forms, c.code] : b.violence_forms.filter((f) => f !== c.code);
                  update({ ...b, violence_forms: forms as never });
                }}
              />
              <span>
                <strong>{label(c)}</strong>
                <br />
                {lang === 'en' ? c.plain_en : c.plain_id}
              </span>
            </label>
          ))}
          {err('violence_forms') && <p class="error" role="alert">{err('violence_forms')}</p>}
        </fieldset>
      )}
      {d.step === 3 && (
        <div>
          <Field id="incident.at" label={t('wiz_when_label')} error={err('incident.at')}>
            <input
              id="incident.at"
              type="datetime-local"
              value={b.incident?.at ? b.incident.at.slice(0, 16) : ''}
              aria-invalid={err('incident.at') ? 'true' : 'false'}
              onInput={(e) => {
                const v = (e.target as HTMLInputElement).value;
                update({ ...b, incident: { ...b.incident, at: v ? `${v}:00+07:00` : undefined } });
              }}
            />
          </Field>
          <label class="choice">
            <input
              type="checkbox"
              checked={!!b.incident?.approximate}
              onChange={(e) => update({ ...b, incident: { ...b.incident, approximate: (e.target as HTMLInputElement).checked } })}
            />
            {t('wiz_when_approx')}
          </label>
        </div>
      )}
      {d.step === 4 && (
        <div>
          <Field id="location.kecamatan_code" label={t('wiz_kecamatan')} error={err('location.kecamatan_code') ?? err('location')}>
            <select
              id="location.kecamatan_code"
              value={b.location.kecamatan_code ?? ''}
              aria-invalid={err('location.kecamatan_code') ? 'true' : 'false'}
              onChange={(e) => {
                const v = (e.target as HTMLSelectElement).value;
                update({ ...b, location: { ...b.location, kecamatan_code: v || undefined, desa_code: undefined } });
              }}
            >
              <CodeOptions choose={t('wiz_choose')} items={kec} text={(k) => k.name} />
            </select>
          </Field>
          <Field id="location.desa_code" label={t('wiz_desa')} error={err('location.desa_code')}>
            <select
              id="location.desa_code"
              value={b.location.desa_code ?? ''}
              disabled={!desa.length}
              aria-invalid={err('location.desa_code') ? 'true' : 'false'}
              onChange={(e) => update({ ...b, location: { ...b.location, desa_code: (e.target as HTMLSelectElement).value || undefined } })}
            >
              <CodeOptions choose={t('wiz_choose')} items={desa} text={(k) => k.name} />
            </select>
          </Field>
          <Field id="place_type" label={t('wiz_place_type')} error={err('place_type')}>
            <select id="place_type" value={b.place_type ?? ''} onChange={(e) => update({ ...b, place_type: ((e.target as HTMLSelectElement).value || undefined) as never })}>
              <CodeOptions choose={t('wiz_choose')} items={props.catalog?.place_type ?? []} text={label} />
            </select>
          </Field>
          {!askLocation && typeof b.location.lat !== 'number' && (
            <button type="button" onClick={() => setAskLocation(true)}>
              {t('wiz_use_location')}
            </button>
          )}
          {askLocation && (
            <div class="confirm" role="group" aria-label={t('wiz_use_location')}>
              <p>{t('wiz_location_ask')}</p>
              <button type="button" class="primary" onClick={useLocation}>
                {t('wiz_location_yes')}
              </button>
              <button type="button" onClick={() => setAskLocation(false)}>
                {t('cancel')}
              </button>
            </div>
          )}
          <Status text={locNote} />
          {typeof b.location.lat === 'number' && typeof b.location.lon === 'number' && (
            <PinMap lat={b.location.lat} lon={b.location.lon} label={t('comp_place')} moved={(lat, lon) => update({ ...b, location: { ...b.location, lat, lon } })} />
          )}
          <Field id="location.address" label={t('wiz_address')} error={err('location.address')}>
            <input id="location.address" maxLength={500} value={b.location.address ?? ''} onInput={(e) => update({ ...b, location: { ...b.location, address: (e.target as HTMLInputElement).value || undefined } })} />
          </Field>
        </div>
      )}
      {d.step === 5 && (
        <Field id="perpetrator_relation" label={t('wiz_perp_label')} error={err('perpetrator_relation')}>
          <select
            id="perpetrator_relation"
            value={b.perpetrator_relation ?? ''}
            onChange={(e) => update({ ...b, perpetrator_relation: ((e.target as HTMLSelectElement).value || undefined) as never })}
          >
            <CodeOptions choose={t('wiz_choose')} items={props.catalog?.relation ?? []} text={label} />
          </select>
        </Field>
      )}
      {d.step === 6 && (
        <div>
          <fieldset>
            <legend>{t('wiz_victim_sex')}</legend>
            <label class="choice">
              <input type="radio" name="sex" checked={b.victim.sex === 'F'} onChange={() => update({ ...b, victim: { ...b.victim, sex: 'F' } })} />
              {t('wiz_female')}
            </label>
            <label class="choice">
              <input type="radio" name="sex" checked={b.victim.sex === 'M'} onChange={() => update({ ...b, victim: { ...b.victim, sex: 'M' } })} />
              {t('wiz_male')}
            </label>
          </fieldset>
          <Field id="victim.age" label={t('wiz_victim_age')} error={err('victim.age') ?? err('victim')}>
            <input
              id="victim.age"
              type="number"
              inputMode="numeric"
              min={0}
              max={120}
              value={b.victim.age ?? ''}
              aria-invalid={err('victim.age') ? 'true' : 'false'}
              onInput={(e) => {
                const v = (e.target as HTMLInputElement).value;
                update({ ...b, victim: { ...b.victim, age: v === '' ? undefined : Number(v) } });
              }}
            />
          </Field>
          <Field id="victim.age_band" label={t('wiz_victim_band')} error={err('victim.age_band')}>
            <select id="victim.age_band" value={b.victim.age_band ?? ''} onChange={(e) => update({ ...b, victim: { ...b.victim, age_band: ((e.target as HTMLSelectElement).value || undefined) as never } })}>
              <CodeOptions choose={t('wiz_choose')} items={props.catalog?.age_band ?? []} text={label} />
            </select>
          </Field>
          <label class="choice">
            <input type="checkbox" checked={!!b.victim.child} onChange={(e) => update({ ...b, victim: { ...b.victim, child: (e.target as HTMLInputElement).checked || undefined } })} />
            {t('wiz_victim_child')}
          </label>
          {err('victim.child') && <p class="error" role="alert">{err('victim.child')}</p>}
          <Field id="victim.name" label={t('wiz_victim_name')} error={err('victim.name')}>
            <input id="victim.name" maxLength={200} value={b.victim.name ?? ''} onInput={(e) => update({ ...b, victim: { ...b.victim, name: (e.target as HTMLInputElement).value || undefined } })} />
          </Field>
        </div>
      )}
      {d.step === 7 && (
        <div>
          <fieldset>
            <legend class="sr">{t('wiz_danger_title')}</legend>
            <label class="choice">
              <input type="radio" name="urgent" checked={b.urgent === true} onChange={() => update({ ...b, urgent: true })} />
              {t('wiz_danger_yes')}
            </label>
            <label class="choice">
              <input type="radio" name="urgent" checked={b.urgent !== true} onChange={() => update({ ...b, urgent: false })} />
              {t('wiz_danger_no')}
            </label>
          </fieldset>
          <Field id="account" label={t('wiz_story_label')} error={err('account')}>
            <textarea id="account" rows={5} maxLength={5000} value={b.account ?? ''} onInput={(e) => update({ ...b, account: (e.target as HTMLTextAreaElement).value || undefined })} />
          </Field>
        </div>
      )}
      <p class="hint">{t('wiz_draft_kept')}</p>
      <div class="nav">
        {d.step > 1 && (
          <button type="button" onClick={() => update(b, d.step - 1)}>
            {t('back')}
          </button>
        )}
        {d.step < TOTAL ? (
          <button type="button" class="primary" onClick={next}>
            {t('next')}
          </button>
        ) : (
          <button type="button" class="primary" disabled={busy} onClick={() => void send()}>
            {t('wiz_send')}
          </button>
        )}
      </div>
    </div>
  );
}

// A picker's options: "choose…" first, then the codes in words.
function CodeOptions<I extends { code: string }>(props: { choose: string; items: I[]; text: (item: I) => string }) {
  return (
    <>
      <option value="">{props.choose}</option>
      {props.items.map((item) => (
        <option value={item.code} key={item.code}>
          {props.text(item)}
        </option>
      ))}
    </>
  );
}

function PinMap(props: { lat: number; lon: number; label: string; moved: (lat: number, lon: number) => void }) {
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

// ---- my reports ----------------------------------------------------------------

function Mine(props: { t: T; go: (s: Screen) => void }) {
  const { t } = props;
  const [items, setItems] = useState<CaseSummary[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    api<{ reports: CaseSummary[] }>('GET', '/v1/reports', { token: store.token() })
      .then((r) => setItems(r.data.reports))
      .catch(() => setErr(t('err_generic')));
  }, []);
  return (
    <div>
      <Status kind={err ? 'error' : 'info'} text={err ?? (items ? null : t('loading'))} />
      {items && !items.length && <p>{t('mine_empty')}</p>}
      <ul class="list">
        {(items ?? []).map((r) => (
          <li key={r.case_id}>
            <button type="button" class="item" onClick={() => props.go({ name: 'detail', id: r.case_id })}>
              <strong>{r.ticket}</strong>
              <span class={'state ' + r.state}>{t(('state_' + r.state) as Key)}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Detail(props: { t: T; id: string; go: (s: Screen) => void }) {
  const { t } = props;
  const [r, setR] = useState<MyReport | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const load = () =>
    api<MyReport>('GET', `/v1/reports/${props.id}`, { token: store.token() })
      .then((x) => setR(x.data))
      .catch(() => setErr(t('err_generic')));
  useEffect(() => void load(), []);
  const withdraw = async () => {
    setConfirm(false);
    try {
      await api('POST', `/v1/reports/${props.id}/withdraw`, { token: store.token() });
      await load();
    } catch {
      setErr(t('err_generic'));
    }
  };
  if (!r) return <Status kind={err ? 'error' : 'info'} text={err ?? t('loading')} />;
  const open = !['closed', 'rejected', 'duplicate', 'withdrawn'].includes(r.state);
  return (
    <div>
      <p class="ticket">
        <strong>{r.ticket}</strong> — <span class={'state ' + r.state}>{t(('state_' + r.state) as Key)}</span>
      </p>
      {r.state === 'en_route' && (
        <button type="button" class="primary" onClick={() => props.go({ name: 'companion', id: r.case_id })}>
          {t('mine_track')}
        </button>
      )}
      <h2>{t('mine_timeline')}</h2>
      <ol class="timeline">
        {r.timeline.map((s, i) => (
          <li key={i}>
            <span>{t(('state_' + s.state) as Key)}</span>{' '}
            <time dateTime={s.at}>{new Date(s.at).toLocaleString('id-ID', { timeZone: 'Asia/Jakarta' })} WIB</time>
          </li>
        ))}
      </ol>
      <Status kind="error" text={err} />
      {open && !confirm && (
        <button type="button" class="danger" onClick={() => setConfirm(true)}>
          {t('mine_withdraw')}
        </button>
      )}
      {confirm && (
        <div class="confirm" role="alertdialog" aria-label={t('mine_withdraw')}>
          <p>{t('mine_withdraw_confirm')}</p>
          <button type="button" class="danger" onClick={() => void withdraw()}>
            {t('mine_withdraw_yes')}
          </button>
          <button type="button" onClick={() => setConfirm(false)}>
            {t('cancel')}
          </button>
        </div>
      )}
    </div>
  );
}

// ---- the companion is coming ----------------------------------------------------------

function Companion(props: { t: T; id: string }) {
  const { t } = props;
  const el = useRef<HTMLDivElement>(null);
  const [text, setText] = useState<string>(t('loading'));
  const [who, setWho] = useState<string>('');
  useEffect(() => {
    const abort = new AbortController();
    let map: PkMap | null = null;
    const place = store.place(props.id);
    const token = store.token() ?? '';
    void readEvents(`/v1/reports/${props.id}/companion/stream`, token, abort.signal, (event, data) => {
      const a = JSON.parse(data) as { state?: string; companion?: { first_name: string; badge: string }; position?: { lat: number; lon: number } | null; distance_m?: number; eta_minutes?: number; reason?: string };
      if (event === 'end') {
        setText(a.reason === 'arrived' ? t('comp_arrived') : t('comp_over'));
        return;
      }
      if (a.companion) setWho(t('comp_badge', { name: a.companion.first_name, badge: a.companion.badge }));
      if (!a.position || a.distance_m === undefined) {
        setText(t('comp_unknown'));
        return;
      }
      const min = a.eta_minutes ?? 0;
      const km = (a.distance_m / 1000).toLocaleString(document.documentElement.lang, { maximumFractionDigits: 1 });
      setText(a.distance_m >= 1000 ? t('comp_distance', { km, min }) : t('comp_distance_m', { m: a.distance_m, min }));
      const pos = a.position;
      void (async () => {
        if (!map && el.current) {
          const m = await import('../shared/map');
          map = await m.createMap(el.current, pos.lat, pos.lon);
          if (place) map.setPoint('place', place.lat, place.lon, t('comp_place'));
        }
        map?.setPoint('companion', pos.lat, pos.lon, t('comp_here'));
        map?.fit();
      })();
    })
      .then((status) => {
        if (status === 409) setText(t('comp_not_yet'));
        else if (status === 410) setText(t('comp_over'));
      })
      .catch(() => undefined);
    return () => {
      abort.abort();
      map?.destroy();
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

// ---- settings ----------------------------------------------------------------

function SettingsScreen(props: { t: T; settings: Settings; change: (s: Settings) => void; go: (s: Screen) => void; signOut: () => void }) {
  const { t } = props;
  return (
    <div>
      <label class="choice">
        <input
          type="checkbox"
          checked={props.settings.neutral}
          onChange={(e) => props.change({ ...props.settings, neutral: (e.target as HTMLInputElement).checked })}
        />
        {t('settings_neutral')}
      </label>
      <p class="hint">{t('settings_neutral_why')}</p>
      <button type="button" onClick={() => props.go({ name: 'safety', first: false })}>
        {t('safety_title')}
      </button>
      <button type="button" onClick={props.signOut}>
        {t('settings_logout')}
      </button>
    </div>
  );
}

// ---- the app ----------------------------------------------------------------

export function App() {
  const [settings, setSettingsState] = useState<Settings>(store.settings());
  const [screen, setScreen] = useState<Screen>(() =>
    !store.token() ? { name: 'register' } : !settings.safetyDone ? { name: 'safety', first: true } : { name: 'home' },
  );
  const [catalog, setCatalog] = useState<Catalog | null>(null);
  const [regions, setRegions] = useState<Regions | null>(null);
  const [pending, setPending] = useState(store.pending().length);
  const [notice, setNotice] = useState<string | null>(null);
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const lang = settings.lang;
  const tt: T = (k, v) => t(lang, k, v);
  const changeSettings = (s: Settings) => {
    store.setSettings(s);
    setSettingsState(s);
  };
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = settings.neutral ? tt('neutral_app') : tt('app');
    const link = document.getElementById('manifest') as HTMLLinkElement | null;
    if (link) link.href = settings.neutral ? '/neutral.webmanifest' : '/manifest.webmanifest';
  }, [lang, settings.neutral]);
  useEffect(() => {
    api<Catalog>('GET', '/v1/catalog').then((r) => setCatalog(r.data)).catch(() => undefined);
    api<Regions>('GET', '/v1/regions').then((r) => setRegions(r.data)).catch(() => undefined);
    return onQueueChange(() => setPending(store.pending().length));
  }, []);
  const go = (s: Screen) => {
    setNotice(null);
    setScreen(s);
  };
  const signedIn = (token: string) => {
    store.setToken(token);
    void flush(true);
    go(settings.safetyDone ? { name: 'home' } : { name: 'safety', first: true });
  };
  const signOut = () => {
    const token = store.token();
    if (token) void api('POST', '/v1/auth/logout', { token }).catch(() => undefined);
    store.setToken(null);
    go({ name: 'register' });
  };
  const reportDone = (o: Outcome) => {
    setServerErrors({});
    if (o.kind === 'sent') go({ name: 'sent', ticket: o.summary.ticket });
    else if (o.kind === 'waiting') go({ name: 'waiting' });
    else if (o.kind === 'limited') setNotice(tt('err_wait', { s: o.wait }));
    else if (o.kind === 'session') go({ name: 'register' });
    else setNotice(tt('err_generic'));
  };
  const title: Record<Screen['name'], Key> = {
    register: 'reg_title',
    code: 'code_title',
    safety: 'safety_title',
    home: 'app',
    wizard: 'home_report',
    sent: 'sent_title',
    waiting: 'waiting_title',
    mine: 'mine_title',
    detail: 'mine_title',
    companion: 'comp_title',
    settings: 'settings_title',
  };
  let body: ComponentChildren;
  switch (screen.name) {
    case 'register':
      body = <Register t={tt} go={go} />;
      break;
    case 'code':
      body = <Code t={tt} phone={screen.phone} wait={screen.wait} go={go} signedIn={signedIn} />;
      break;
    case 'safety':
      body = (
        <Safety
          t={tt}
          lang={lang}
          catalog={catalog}
          done={() => {
            changeSettings({ ...settings, safetyDone: true });
            go({ name: 'home' });
          }}
        />
      );
      break;
    case 'home':
      body = (
        <div class="home">
          {pending > 0 && <Status text={tt('home_waiting')} />}
          <button type="button" class="primary big" onClick={() => go({ name: 'wizard' })}>
            {tt('home_report')}
          </button>
          <button type="button" class="big" onClick={() => go({ name: 'mine' })}>
            {tt('home_mine')}
          </button>
          <button type="button" onClick={() => go({ name: 'settings' })}>
            {tt('home_settings')}
          </button>
        </div>
      );
      break;
    case 'wizard':
      body = <Wizard t={tt} lang={lang} catalog={catalog} regions={regions} done={reportDone} serverErrors={serverErrors} />;
      break;
    case 'sent':
      body = (
        <div>
          <p class="ok" role="status">
            {tt('sent_ticket', { ticket: screen.ticket })}
          </p>
          <p>{tt('sent_next')}</p>
          <button type="button" class="primary" onClick={() => go({ name: 'mine' })}>
            {tt('home_mine')}
          </button>
        </div>
      );
      break;
    case 'waiting':
      body = (
        <div>
          <p role="status" class="waiting">
            {pending > 0 ? tt('waiting_text') : tt('sent_title')}
          </p>
          <button type="button" class="primary" onClick={() => go({ name: pending > 0 ? 'home' : 'mine' })}>
            {pending > 0 ? tt('back') : tt('home_mine')}
          </button>
        </div>
      );
      break;
    case 'mine':
      body = <Mine t={tt} go={go} />;
      break;
    case 'detail':
      body = <Detail t={tt} id={screen.id} go={go} />;
      break;
    case 'companion':
      body = <Companion t={tt} id={screen.id} />;
      break;
    case 'settings':
      body = <SettingsScreen t={tt} settings={settings} change={changeSettings} go={go} signOut={signOut} />;
      break;
  }
  const home = screen.name !== 'register' && screen.name !== 'code' && screen.name !== 'home' && !(screen.name === 'safety' && screen.first);
  return (
    <Frame t={tt} lang={lang} setLang={(l) => changeSettings({ ...settings, lang: l })} title={screen.name === 'home' && settings.neutral ? tt('neutral_app') : tt(title[screen.name])}>
      {notice && <Status kind="error" text={notice} />}
      {body}
      {home && (
        <nav>
          <button type="button" class="link" onClick={() => go({ name: 'home' })}>
            {tt('home')}
          </button>
        </nav>
      )}
    </Frame>
  );
}
