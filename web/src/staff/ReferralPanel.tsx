// The referrals of the case with their progress, and the form for a new
// one: the consent the companion recorded for the agency chosen, and a
// legal basis asked where there is none.
import { useEffect, useState } from 'preact/hooks';
import { api, HttpError, type Schemas } from '../shared/api/client';
import type { StaffLang } from './i18n';
import { CodeSelect } from './CodeSelect';
import { checked, failure, value, type T } from './common';
import { when, word } from './words';
import type { Agency, CaseDetail, Referral } from './types';

export function ReferralPanel(props: { t: T; lang: StaffLang; token: string; c: CaseDetail; admin: boolean; tick: number; reload: () => Promise<void>; expired: () => void }) {
  const { t, lang, c } = props;
  const [refs, setRefs] = useState<Referral[]>([]);
  const [agencies, setAgencies] = useState<Agency[]>([]);
  const [form, setForm] = useState({ agency: '', services: [] as string[], reason: 'identification_needs', urgent: c.urgent, legal: '' });
  const [msg, setMsg] = useState<string | null>(null);
  const load = async () => {
    try {
      const [r, a] = await Promise.all([
        api<{ referrals: Referral[] }>('GET', `/v1/staff/cases/${c.case_id}/referrals`, { token: props.token }),
        agencies.length ? Promise.resolve(null) : api<{ agencies: Agency[] }>('GET', '/v1/staff/agencies', { token: props.token }),
      ]);
      setRefs(r.data.referrals);
      if (a) {
        setAgencies(a.data.agencies);
        const first = c.identification?.consented_agencies[0] ?? a.data.agencies[0]?.code ?? '';
        setForm((f) => ({ ...f, agency: f.agency || first, services: f.services.length ? f.services : recommended(a.data.agencies, first) }));
      }
    } catch (x) {
      setMsg(failure(t, x, props.expired));
    }
  };
  useEffect(() => void load(), [props.tick]);
  // The services the companion recommended that the agency gives, ticked
  // first (issue 22 §4); its first service when none matches.
  const recommended = (list: Agency[], code: string): string[] => {
    const svc = list.find((x) => x.code === code)?.services ?? [];
    const wanted = svc.filter((s) => c.identification?.recommended_services.includes(s));
    return wanted.length ? wanted : svc.slice(0, 1);
  };
  const ident = c.identification;
  const consented = !!ident?.referral_consent && ident.consented_agencies.includes(form.agency as Schemas['AgencyCode']);
  const agency = agencies.find((a) => a.code === form.agency);
  const canRefer = props.admin && (c.state === 'assessed' || c.state === 'declined');
  const send = async (e: Event) => {
    e.preventDefault();
    if (!consented && !form.legal) {
      setMsg(t('legal_needed'));
      return;
    }
    try {
      await api('POST', `/v1/staff/cases/${c.case_id}/referrals`, {
        token: props.token,
        body: {
          agency_code: form.agency,
          services: form.services,
          reason_code: form.reason,
          urgent: form.urgent,
          ...(consented ? {} : { legal_basis_code: form.legal }),
        },
      });
      setMsg(t('referred', { agency: word('agency', form.agency, lang) }));
      await Promise.all([load(), props.reload()]);
    } catch (x) {
      setMsg(x instanceof HttpError && x.error.code === 'consent_required' ? t('legal_needed') : failure(t, x, props.expired));
    }
  };
  return (
    <section aria-labelledby="ref-h">
      <h3 id="ref-h">{t('referral')}</h3>
      {ident && (
        <p data-testid="consent">
          {ident.referral_consent && ident.consented_agencies.length
            ? t('consent_to', { list: ident.consented_agencies.map((a) => word('agency', a, lang)).join(', ') })
            : t('consent_none')}{' '}
          {ident.needs.length > 0 && t('needs', { list: ident.needs.map((n) => word('need', n, lang)).join(', ') })}
        </p>
      )}
      {refs.length > 0 && (
        <table class="queue">
          <caption class="sr">{t('referral')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('agency')}</th>
              <th scope="col">{t('filter_state')}</th>
              <th scope="col">{t('due')}</th>
              <th scope="col">{t('follow_ups')}</th>
            </tr>
          </thead>
          <tbody>
            {refs.map((r) => (
              <tr key={r.referral_id} data-agency={r.agency_code} data-state={r.state}>
                <td>
                  {word('agency', r.agency_code, lang)} {r.urgent && <strong class="tag">{t('urgent')}</strong>}
                  {r.legal_basis_code && <span class="tag">{word('legal_basis', r.legal_basis_code, lang)}</span>}
                </td>
                <td>
                  {word('referral', r.state, lang)}
                  {r.decline_reason_code ? ` · ${word('agency_decline', r.decline_reason_code, lang)}` : ''}
                  {r.outcome_code ? ` · ${word('outcome', r.outcome_code, lang)}` : ''}
                </td>
                <td>
                  {r.state === 'sent' ? when(r.due_at_us / 1000, lang) : '—'} {r.overdue && <strong class="tag">{t('overdue')}</strong>}
                </td>
                <td>{r.follow_ups}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canRefer && agencies.length > 0 && (
        <details class="directory">
          <summary>{t('directory')}</summary>
          <dl>
            {agencies.map((a) => (
              <div key={a.code}>
                <dt>
                  {word('agency', a.code, lang)} — {a.name}
                </dt>
                <dd>
                  {a.services.map((x) => word('service', x, lang)).join(', ')} · {a.contact}
                </dd>
              </div>
            ))}
          </dl>
        </details>
      )}
      {canRefer && (
        <form onSubmit={send} class="refer">
          <label for="agency">{t('agency')}</label>
          <select
            id="agency"
            value={form.agency}
            onChange={(e) => {
              const code = value(e);
              setForm({ ...form, agency: code, services: recommended(agencies, code), legal: '' });
            }}
          >
            {agencies.map((a) => (
              <option key={a.code} value={a.code}>
                {word('agency', a.code, lang)} — {a.name}
              </option>
            ))}
          </select>
          <p data-testid="consent-agency" class={consented ? 'ok' : 'error'}>
            {consented ? t('consent_yes') : t('consent_no')}
          </p>
          {!consented && (
            <div>
              <label for="legal">{t('legal_basis')}</label>
              <CodeSelect id="legal" value={form.legal} onChange={(e) => setForm({ ...form, legal: value(e) })} list="legal_basis" lang={lang} empty={t('choose')} />
            </div>
          )}
          <fieldset>
            <legend>{t('services')}</legend>
            {(agency?.services ?? []).map((s) => (
              <label class="choice" key={s}>
                <input
                  type="checkbox"
                  checked={form.services.includes(s)}
                  onChange={(e) => setForm({ ...form, services: checked(e) ? [...form.services, s] : form.services.filter((x) => x !== s) })}
                />
                {word('service', s, lang)}
              </label>
            ))}
          </fieldset>
          <label for="ref-reason">{t('ref_reason')}</label>
          <CodeSelect id="ref-reason" value={form.reason} onChange={(e) => setForm({ ...form, reason: value(e) })} list="referral_reason" lang={lang} />
          <label class="choice">
            <input type="checkbox" checked={form.urgent} onChange={(e) => setForm({ ...form, urgent: checked(e) })} />
            {t('urgent')}
          </label>
          <button type="submit" class="primary" disabled={!form.services.length}>
            {t('refer')}
          </button>
        </form>
      )}
      <p class="status" role="status">
        {msg ?? ''}
      </p>
    </section>
  );
}
