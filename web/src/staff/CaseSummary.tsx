// Everything the reporter answered that is not personal, and what the
// companion found, in words in one place (issue 22 §4): the confirmation
// call starts knowing whether the caller is the victim or a neighbour, and
// the referral knowing the danger. Codes never reach the screen.
import { useEffect, useState } from 'preact/hooks';
import type { StaffLang } from './i18n';
import type { T } from './common';
import type { CaseDetail } from './types';
import { desaName, word } from './words';

export function CaseSummary(props: { t: T; lang: StaffLang; c: CaseDetail; kecName: string | null }) {
  const { t, lang, c } = props;
  const a = c.answers;
  const [desa, setDesa] = useState<string | null>(null);
  useEffect(() => void desaName(a.desa_code).then(setDesa), [a.desa_code]);
  const victim = [
    a.victim_sex ? word('sex', a.victim_sex, lang) : null,
    a.victim_age_band ? t('sum_age', { band: a.victim_age_band }) : null,
    c.child ? t('sum_child') : null,
    a.disability ? t('sum_disability') : null,
  ].filter(Boolean);
  const whenText = a.incident_date
    ? `${new Date(`${a.incident_date}T12:00:00+07:00`).toLocaleDateString(lang === 'id' ? 'id-ID' : 'en-GB', { dateStyle: 'medium', timeZone: 'Asia/Jakarta' })}${a.incident_approximate ? ` (${t('sum_when_unsure')})` : ''}`
    : a.incident_approximate
      ? t('sum_when_unsure')
      : t('sum_unsaid');
  const where = [a.place_type ? word('place_type', a.place_type, lang) : null, props.kecName, desa].filter(Boolean).join(' · ');
  const f = c.identification;
  return (
    <section aria-labelledby="sum-h" class="summary" data-testid="case-summary">
      <h3 id="sum-h">{t('sum_title')}</h3>
      <dl>
        <dt>{t('sum_reporter')}</dt>
        <dd>{a.reporter_kind === 'victim' ? t('sum_reporter_victim') : t('sum_reporter_witness', { relation: word('relation', a.reporter_relation, lang) })}</dd>
        <dt>{t('sum_victim')}</dt>
        <dd>{victim.length ? victim.join(', ') : t('sum_unsaid')}</dd>
        <dt>{t('sum_forms')}</dt>
        <dd>{c.violence_forms.map((x) => word('violence_form', x, lang)).join(', ')}</dd>
        <dt>{t('sum_when')}</dt>
        <dd>{whenText}</dd>
        <dt>{t('sum_where')}</dt>
        <dd>{where || t('sum_unsaid')}</dd>
        <dt>{t('sum_perpetrator')}</dt>
        <dd>{a.perpetrator_relation ? word('relation', a.perpetrator_relation, lang) : t('sum_unsaid')}</dd>
        {c.urgent && (
          <>
            <dt>{t('urgent')}</dt>
            <dd>
              <strong>{t('sum_urgent')}</strong>
            </dd>
          </>
        )}
      </dl>
      {f && (
        <>
          <h3>{t('find_title')}</h3>
          <ul data-testid="findings">
            {f.immediate_danger !== null && <li>{f.immediate_danger ? <strong class="tag">{t('find_danger')}</strong> : t('find_no_danger')}</li>}
            {f.situation_confirmed !== null && <li>{f.situation_confirmed ? t('find_confirmed') : t('find_not_confirmed')}</li>}
            {f.guardian_situation && (
              <li>
                {t('find_guardian')}: {word('guardian', f.guardian_situation, lang)}
              </li>
            )}
            {f.needs.length > 0 && <li>{t('needs', { list: f.needs.map((n) => word('need', n, lang)).join(', ') })}</li>}
            <li>
              {f.referral_consent
                ? t('consent_to', { list: f.consented_agencies.map((x) => word('agency', x, lang)).join(', ') || '—' })
                : t('find_consent_none')}
            </li>
          </ul>
        </>
      )}
    </section>
  );
}
