// The reporter's contact-safety choices as fields: when officers may
// contact her, by which way, and whether someone else may read her phone.
// Used inside the report (its last step) and in the settings.
import type { Catalog } from '../shared/api/client';
import type { Lang } from './i18n';
import type { T } from './screens';
import type { Safety } from './store';
import { Field } from './Field';

const HOURS = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`);

export function SafetyFields(props: { t: T; catalog: Catalog | null; lang: Lang; value: Safety; onChange: (s: Safety) => void }) {
  const { t, value: s } = props;
  const from = s.safe_hours.slice(0, 5);
  const to = s.safe_hours.slice(6);
  const hours = (f: string, u: string) => props.onChange({ ...s, safe_hours: `${f}-${u === '00:00' ? '23:59' : u}` });
  return (
    <div>
      <fieldset>
        <legend>{t('safety_hours')}</legend>
        <p class="hint">{t('safety_hours_why')}</p>
        <div class="row">
          <Field id="safe-from" label={t('safety_from')}>
            <select id="safe-from" value={from} onChange={(e) => hours((e.target as HTMLSelectElement).value, to)}>
              {HOURS.map((h) => (
                <option key={h}>{h}</option>
              ))}
            </select>
          </Field>
          <Field id="safe-to" label={t('safety_to')}>
            <select id="safe-to" value={to} onChange={(e) => hours(from, (e.target as HTMLSelectElement).value)}>
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
        {(props.catalog?.safe_channel ?? []).map((c) => (
          <label class="choice" key={c.code}>
            <input type="radio" name="channel" value={c.code} checked={s.safe_channel === c.code} onChange={() => props.onChange({ ...s, safe_channel: c.code })} />
            {props.lang === 'en' ? c.label_en : props.lang === 'su' ? (c.label_su ?? c.label_id) : c.label_id}
          </label>
        ))}
      </fieldset>
      <label class="choice">
        <input type="checkbox" checked={s.phone_monitored} onChange={(e) => props.onChange({ ...s, phone_monitored: (e.target as HTMLInputElement).checked })} />
        {t('safety_monitored')}
      </label>
      <p class="hint">{t('safety_monitored_why')}</p>
    </div>
  );
}

// The choices said in one plain sentence (what is used if she changes nothing).
export function safetySentence(t: T, catalog: Catalog | null, lang: Lang, s: Safety): string {
  const c = catalog?.safe_channel.find((x) => x.code === s.safe_channel);
  const channel = c ? (lang === 'en' ? c.label_en : lang === 'su' ? (c.label_su ?? c.label_id) : c.label_id) : s.safe_channel;
  const hours = s.safe_hours.replace('-', '–');
  return t('safety_now', { hours, channel }) + (s.phone_monitored ? ` ${t('safety_now_monitored')}` : '');
}
