// The personal data of a case, the reporter's safety choices first.
import type { T } from './common';
import type { StaffLang } from './i18n';
import type { CaseDetail } from './types';
import { word } from './words';

export function PersonalData(props: { t: T; lang: StaffLang; p: NonNullable<CaseDetail['personal']> }) {
  const { t, p } = props;
  const safety = p.contact_safety;
  return (
    <dl>
      <dt>{t('safety_first')}</dt>
      <dd data-testid="safety" class="safety">
        {t('safe_hours')}: {safety?.safe_hours ?? '—'} · {t('safe_channel')}: {word('channel', safety?.safe_channel, props.lang)}
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
