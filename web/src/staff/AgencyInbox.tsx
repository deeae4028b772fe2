// The agency's inbox: the referrals to this agency only (the server picks
// them by the officer's account): accept, decline with a reason,
// follow-ups, close with an outcome; after acceptance the case's details,
// and its personal data behind a stated purpose (the opening recorded).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../shared/api/client';
import type { StaffLang } from './i18n';
import { failure, type T } from './common';
import { when, word } from './words';
import type { Referral } from './types';
import { ReferralAnswer } from './ReferralAnswer';
import { ReferralService } from './ReferralService';
import { AgencyCase } from './AgencyCase';
import { ReferralBrief } from './ReferralBrief';

export function AgencyInbox(props: { t: T; lang: StaffLang; token: string; expired: () => void }) {
  const { t, lang } = props;
  const [refs, setRefs] = useState<Referral[] | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const load = async () => {
    try {
      const { data } = await api<{ referrals: Referral[] }>('GET', '/v1/agency/referrals', { token: props.token });
      setRefs(data.referrals);
    } catch (x) {
      setMsg(failure(t, x, props.expired));
    }
  };
  useEffect(() => {
    void load();
    const id = setInterval(() => void load(), 5000);
    return () => clearInterval(id);
  }, []);
  const act = async (r: Referral, what: string, body?: unknown) => {
    try {
      await api('POST', `/v1/agency/referrals/${r.referral_id}/${what}`, { token: props.token, body });
      setMsg(t('done'));
      await load();
    } catch (x) {
      setMsg(failure(t, x, props.expired));
    }
  };
  return (
    <div>
      <p class="status" role="status" data-testid="inbox-status">
        {msg ?? ''}
      </p>
      {refs && !refs.length && <p>{t('inbox_empty')}</p>}
      <ul class="list">
        {(refs ?? []).map((r) => (
          <li key={r.referral_id} class="referral card" data-referral={r.referral_id} data-state={r.state}>
            <h2>
              {t('referral_of', { at: when(r.created_at_us / 1000, lang) })} — <span data-testid="referral-state">{word('referral', r.state, lang)}</span>
            </h2>
            <p>
              {r.urgent && <strong class="tag">{t('urgent')}</strong>} {t('services')}: {r.services.map((s) => word('service', s, lang)).join(', ')} ·{' '}
              {t('ref_reason')}: {word('referral_reason', r.reason_code, lang)}
              {r.legal_basis_code ? ` · ${t('legal_basis')}: ${word('legal_basis', r.legal_basis_code, lang)}` : ''}
            </p>
            {r.state === 'sent' && (
              <p>
                {t('answer_by', { at: when(r.due_at_us / 1000, lang) })} {r.overdue && <strong class="tag">{t('overdue')}</strong>}
              </p>
            )}
            {r.state === 'sent' && <ReferralBrief t={t} lang={lang} token={props.token} id={r.case_id} expired={props.expired} />}
            {r.state === 'sent' && <ReferralAnswer t={t} lang={lang} id={r.referral_id} act={(what, body) => act(r, what, body)} />}
            {(r.state === 'accepted' || r.state === 'in_service') && (
              <ReferralService t={t} lang={lang} r={r} act={(what, body) => act(r, what, body)} />
            )}
            {r.state !== 'sent' && r.state !== 'declined' && <AgencyCase t={t} lang={lang} token={props.token} id={r.case_id} expired={props.expired} />}
          </li>
        ))}
      </ul>
    </div>
  );
}
