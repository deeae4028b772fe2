// When and how it is safe to contact the reporter, in the settings: the
// same choices the report's last step asks (issue 22 §5: never a gate
// before she can say anything).
import { useState } from 'preact/hooks';
import { api, type Catalog } from '../shared/api/client';
import type { Lang } from './i18n';
import { DEFAULT_SAFETY, store } from './store';
import type { T } from './screens';
import { Status } from './Status';
import { SafetyFields } from './SafetyFields';

export function ContactSafety(props: { t: T; catalog: Catalog | null; lang: Lang; done: () => void }) {
  const { t } = props;
  const [s, setS] = useState(store.settings().safety ?? DEFAULT_SAFETY);
  const [status, setStatus] = useState<string | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      await api('PUT', '/v1/me/contact-safety', { token: store.token(), body: s });
      store.setSettings({ ...store.settings(), safety: s });
      const d = store.draft();
      if (d) store.setDraft({ ...d, body: { ...d.body, contact_safety: s as never } });
      setStatus(t('safety_saved'));
      props.done();
    } catch {
      setStatus(t('err_generic'));
    }
  };
  return (
    <form onSubmit={save}>
      <p>{t('safety_intro')}</p>
      <SafetyFields t={t} catalog={props.catalog} lang={props.lang} value={s} onChange={setS} />
      <Status text={status} />
      <button class="primary" type="submit">
        {t('save')}
      </button>
    </form>
  );
}
