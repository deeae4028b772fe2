// What an agency sees of a case before it answers a referral (issue 22 §4):
// nothing personal, no names; enough to know whether it is theirs and how
// urgent: the victim's age band and whether a child, the kecamatan, the
// kinds of violence, the needs and the danger the companion found.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../shared/api/client';
import type { StaffLang } from './i18n';
import { failure, type T } from './common';
import { kecamatanList, word } from './words';
import type { CaseDetail } from './types';

export function ReferralBrief(props: { t: T; lang: StaffLang; token: string; id: string; expired: () => void }) {
  const { t, lang } = props;
  const [c, setC] = useState<CaseDetail | null>(null);
  const [kec, setKec] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  useEffect(() => {
    void (async () => {
      try {
        const { data } = await api<CaseDetail>('GET', `/v1/staff/cases/${props.id}`, { token: props.token });
        setC(data);
        const k = await kecamatanList();
        setKec(k.find((x) => x.code === data.kecamatan_code)?.name ?? null);
      } catch (x) {
        setMsg(failure(t, x, props.expired));
      }
    })();
  }, [props.id]);
  if (!c) return <p class="status">{msg ?? ''}</p>;
  const f = c.identification;
  const victim = [c.answers.victim_age_band ? t('sum_age', { band: c.answers.victim_age_band }) : null, c.child ? t('sum_child') : null].filter(Boolean);
  return (
    <ul class="brief" data-testid="referral-brief">
      {f?.immediate_danger && (
        <li>
          <strong class="tag">{t('find_danger')}</strong>
        </li>
      )}
      <li>
        {t('sum_victim')}: {victim.length ? victim.join(', ') : t('sum_unsaid')}
      </li>
      <li>
        {t('kecamatan')} {kec ?? '—'} · {c.violence_forms.map((x) => word('violence_form', x, lang)).join(', ')}
      </li>
      {f && f.needs.length > 0 && <li>{t('needs', { list: f.needs.map((n) => word('need', n, lang)).join(', ') })}</li>}
    </ul>
  );
}
