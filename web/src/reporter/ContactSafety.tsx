// When and how it is safe to contact the reporter: asked at the first run,
// one question each, changeable in the settings.
import { useState } from 'preact/hooks';
import { api, type Catalog } from '../shared/api/client';
import type { Lang } from './i18n';
import { store } from './store';
import type { T } from './screens';
import { Field } from './Field';
import { Status } from './Status';

const HOURS = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`);

export function ContactSafety(props: { t: T; catalog: Catalog | null; lang: Lang; done: () => void }) {
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
            {props.lang === 'en' ? c.label_en : props.lang === 'su' ? (c.label_su ?? c.label_id) : c.label_id}
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
