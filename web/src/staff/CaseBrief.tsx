// The companion's case brief (issue 22 §3): where, who, what and who did
// it, how urgent, and how the reporter may be reached, in words; opened
// with the place (both recorded). Gone from the screen when the visit ends.
import { useEffect, useState } from 'preact/hooks';
import type { Schemas } from '../shared/api/client';
import type { StaffLang } from './i18n';
import type { T } from './common';
import { desaName, word } from './words';

export type Brief = NonNullable<Schemas['CompanionBrief']>;

export function CaseBrief(props: { t: T; lang: StaffLang; b: Brief; kecName: string | null }) {
  const { t, lang, b } = props;
  const [desa, setDesa] = useState<string | null>(null);
  useEffect(() => void desaName(b.desa_code).then(setDesa), [b.desa_code]);
  const victim = [
    b.victim_sex ? word('sex', b.victim_sex, lang) : null,
    b.victim_age_band ? t('sum_age', { band: b.victim_age_band }) : null,
    b.child ? t('sum_child') : null,
    b.disability ? t('sum_disability') : null,
  ].filter(Boolean);
  return (
    <dl class="brief" data-testid="case-brief">
      {b.urgent && (
        <>
          <dt>{t('urgent')}</dt>
          <dd>
            <strong>{t('sum_urgent')}</strong>
          </dd>
        </>
      )}
      <dt>{t('sum_where')}</dt>
      <dd>{[b.address, desa, props.kecName, b.place_type ? word('place_type', b.place_type, lang) : null].filter(Boolean).join(' · ') || t('sum_unsaid')}</dd>
      <dt>{t('sum_victim')}</dt>
      <dd>{victim.length ? victim.join(', ') : t('sum_unsaid')}</dd>
      <dt>{t('sum_forms')}</dt>
      <dd>{b.violence_forms.map((f) => word('violence_form', f, lang)).join(', ')}</dd>
      <dt>{t('sum_perpetrator')}</dt>
      <dd>{b.perpetrator_relation ? <strong>{word('relation', b.perpetrator_relation, lang)}</strong> : t('sum_unsaid')}</dd>
      <dt>{t('brief_contact')}</dt>
      <dd>
        {b.phone_monitored ? <strong>{t('brief_monitored')}</strong> : t('brief_safe', { hours: b.safe_hours ?? '—', channel: word('channel', b.safe_channel, lang) })}{' '}
        {t('brief_through_admin')}
      </dd>
    </dl>
  );
}
