// A duplicate: the other case found by its ticket, shown, then marked.
import { useState } from 'preact/hooks';
import { api, HttpError, type Schemas } from '../shared/api/client';
import { failure, value, type T } from './common';
import type { Step } from './types';

export function DuplicateSearch(props: { t: T; token: string; id: string; step: Step; expired: () => void }) {
  const { t } = props;
  const [ticket, setTicket] = useState('');
  const [found, setFound] = useState<Schemas['QueueItem'] | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const search = async (e: Event) => {
    e.preventDefault();
    setFound(null);
    try {
      const { data } = await api<{ cases: Schemas['QueueItem'][] }>('GET', `/v1/staff/cases?ticket=${encodeURIComponent(ticket.trim())}`, {
        token: props.token,
      });
      const other = data.cases.find((x) => x.case_id !== props.id) ?? null;
      setFound(other);
      setMsg(other ? null : t('dup_none'));
    } catch (x) {
      setMsg(x instanceof HttpError && x.status === 422 ? t('dup_format') : failure(t, x, props.expired));
    }
  };
  return (
    <section aria-labelledby="dup-h">
      <h3 id="dup-h">{t('dup')}</h3>
      <form onSubmit={search} class="inline">
        <label for="dup-ticket">{t('dup_ticket')}</label>
        <input id="dup-ticket" value={ticket} placeholder="PK-7KQ4-M9XD" onInput={(e) => setTicket(value(e))} />
        <button type="submit">{t('search')}</button>
      </form>
      <p class="status" role="status">
        {msg ?? ''}
      </p>
      {found && (
        <p>
          {t('dup_found', { ticket: found.ticket, at: new Date(found.created_at).toLocaleDateString('id-ID') })}{' '}
          <button type="button" class="danger" onClick={() => void props.step('duplicate', { of: found.case_id })}>
            {t('dup_mark')}
          </button>
        </p>
      )}
    </section>
  );
}
