// The report, one question a step (7 steps): for whom, what in plain
// words, when, where, who did it, the victim, danger now and the account.
// The draft survives a closed tab; a server 422 moves to its step.
import { useEffect, useState } from 'preact/hooks';
import type { Catalog, Regions } from '../shared/api/client';
import type { Key, Lang } from './i18n';
import { submit, type Outcome } from './outbox';
import { DEFAULT_SAFETY, newKey, store, type Draft, type Safety } from './store';
import type { T } from './screens';
import { Field } from './Field';
import { Status } from './Status';
import { CodeOptions } from './CodeOptions';
import { PinMap } from './PinMap';
import { HelpLines } from './HelpLines';
import { SafetyFields, safetySentence } from './SafetyFields';

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

export function ReportWizard(props: {
  t: T;
  lang: Lang;
  catalog: Catalog | null;
  regions: Regions | null;
  done: (o: Outcome, urgent: boolean) => void;
  serverErrors: Record<string, string>;
}) {
  const { lang } = props;
  // Words that change when the report is for herself (issue 22 §5): "Anda",
  // never a third-person "korban" when she is the victim.
  const SELF: Partial<Record<Key, Key>> = {
    wiz_perp_label: 'wiz_perp_label_self',
    wiz_victim_title: 'wiz_victim_title_self',
    wiz_victim_child: 'wiz_victim_child_self',
    wiz_victim_name: 'wiz_victim_name_self',
    wiz_danger_title: 'wiz_danger_title_self',
  };
  const [d, setD] = useState<Draft>(() => store.draft() ?? emptyDraft());
  const [errors, setErrors] = useState<Record<string, string>>(props.serverErrors);
  const [askLocation, setAskLocation] = useState(false);
  const [locNote, setLocNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [safetyOpen, setSafetyOpen] = useState(false);
  const b = d.body;
  // Her contact-safety choices, asked here and not before her story (issue
  // 22 §5): her last ones, or the defaults, said plainly; sent with the report.
  const [saved] = useState<Safety>(() => store.settings().safety ?? DEFAULT_SAFETY);
  const safety: Safety = (b.contact_safety as Safety | undefined) ?? saved;
  const self = b.reporter.kind === 'victim';
  const t: T = (key, vars) => props.t(self ? (SELF[key] ?? key) : key, vars);
  // The catalogue's words in her language (Sundanese too: issue 22 §5).
  const label = (c: { label_id: string; label_en: string; label_su?: string }) => (lang === 'en' ? c.label_en : lang === 'su' ? (c.label_su ?? c.label_id) : c.label_id);
  const plain = (c: { plain_id?: string; plain_en?: string; plain_su?: string }) => (lang === 'en' ? c.plain_en : lang === 'su' ? (c.plain_su ?? c.plain_id) : c.plain_id);
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
    const o = await submit({ ...b, contact_safety: safety as never }, d.key);
    setBusy(false);
    if (o.kind === 'invalid') {
      setErrors(o.fields);
      update(b, stepOf(Object.keys(o.fields)[0] ?? ''));
      return;
    }
    if (o.kind === 'sent' || o.kind === 'waiting') {
      store.setDraft(null);
      store.setSettings({ ...store.settings(), safety });
    }
    props.done(o, b.urgent === true);
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
                {plain(c)}
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
          {b.urgent === true && <HelpLines t={t} lead={t('help_danger_now')} />}
          <Field id="account" label={t('wiz_story_label')} error={err('account')}>
            <textarea id="account" rows={5} maxLength={5000} value={b.account ?? ''} onInput={(e) => update({ ...b, account: (e.target as HTMLTextAreaElement).value || undefined })} />
          </Field>
          <section class="safety-now" aria-labelledby="safety-now-h" data-testid="safety-now">
            <h3 id="safety-now-h">{t('safety_title')}</h3>
            <p>{safetySentence(t, props.catalog, lang, safety)}</p>
            {!safetyOpen ? (
              <button type="button" onClick={() => setSafetyOpen(true)}>
                {t('safety_change')}
              </button>
            ) : (
              <SafetyFields t={t} catalog={props.catalog} lang={lang} value={safety} onChange={(s) => update({ ...b, contact_safety: s as never })} />
            )}
          </section>
        </div>
      )}
      <p class="hint">{t('wiz_draft_kept')}</p>
      <div class="nav">
        {d.step > 1 && (
          <button type="button" onClick={() => update(b, d.step - 1)}>
            {t('back')}
          </button>
        )}
        {/* The optional steps can be left out in one tap: their answers go. */}
        {(d.step === 3 || d.step === 5) && (
          <button type="button" class="link" onClick={() => update(d.step === 3 ? { ...b, incident: undefined } : { ...b, perpetrator_relation: undefined }, d.step + 1)}>
            {t('skip')}
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
