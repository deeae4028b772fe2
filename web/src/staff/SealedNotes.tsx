// Sealed notes read back with a stated purpose (issue 22 §4): intake's own
// (internal notes, confirmation calls), the companions' identification
// notes (kept by dispatch) and the agencies' follow-ups (kept by referral).
// Each source opens its notes itself and records the reading; one list,
// oldest first.
import { useState } from 'preact/hooks';
import { api } from '../shared/api/client';
import type { StaffLang } from './i18n';
import { CodeSelect } from './CodeSelect';
import { failure, value, type T } from './common';
import { when, word } from './words';

export type NoteSource = 'notes' | 'identification-notes' | 'follow-ups';

type Raw = {
  kind?: 'note' | 'call';
  outcome?: string | null;
  override_reason?: string | null;
  at?: string;
  at_us?: number;
  by: string;
  text: string | null;
  service_code?: string;
  next_step_code?: string | null;
};

// The purposes the owners accept for reading notes back (pk_rpc_note_purposes).
const PURPOSES = ['case_review', 'follow_up', 'verification', 'legal_request'];

type Entry = { at: number; by: string; head: string; text: string | null; hint: string | null };

function entry(src: NoteSource, n: Raw, t: T, lang: StaffLang): Entry {
  const at = n.at_us !== undefined ? n.at_us / 1000 : Date.parse(n.at ?? '');
  if (src === 'identification-notes') return { at, by: n.by, head: t('notes_identification'), text: n.text, hint: null };
  if (src === 'follow-ups') {
    const step = n.next_step_code ? ` · ${word('next_step', n.next_step_code, lang)}` : '';
    return { at, by: word('agency', n.by, lang), head: `${t('notes_follow_up')}: ${word('service', n.service_code ?? '', lang)}${step}`, text: n.text, hint: null };
  }
  const head = n.kind === 'call' ? `${word('step', 'call', lang)}: ${word('call', n.outcome ?? null, lang)}` : word('step', 'note', lang);
  return { at, by: n.by, head, text: n.text, hint: n.override_reason ? t('notes_override', { why: n.override_reason }) : null };
}

export function SealedNotes(props: { t: T; lang: StaffLang; token: string; id: string; sources: NoteSource[]; expired: () => void; stamp?: number }) {
  const { t, lang } = props;
  const [purpose, setPurpose] = useState('case_review');
  const [notes, setNotes] = useState<Entry[] | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const read = async () => {
    try {
      const lists = await Promise.all(
        props.sources.map(async (src) => {
          const { data } = await api<{ notes: Raw[] }>('GET', `/v1/staff/cases/${props.id}/${src}?purpose=${purpose}`, { token: props.token });
          return data.notes.map((n) => entry(src, n, t, lang));
        }),
      );
      setNotes(lists.flat().sort((a, b) => a.at - b.at));
      setMsg(null);
    } catch (x) {
      setMsg(failure(t, x, props.expired));
    }
  };
  const sel = `notes-purpose-${props.id}`;
  return (
    <div>
      <label for={sel}>{t('notes_purpose')}</label>
      <CodeSelect id={sel} value={purpose} onChange={(e) => setPurpose(value(e))} list="purpose" only={PURPOSES} lang={lang} />
      <button type="button" onClick={() => void read()}>
        {t(notes ? 'notes_read_again' : 'notes_read')}
      </button>
      {notes && (
        <ol class="notes" data-testid="notes">
          {!notes.length && <li>{t('notes_none')}</li>}
          {notes.map((n, i) => (
            <li key={i}>
              <time dateTime={new Date(n.at).toISOString()}>{when(n.at, lang)}</time> · {n.by} · {n.head}
              {n.text ? <p>{n.text}</p> : null}
              {n.hint ? <p class="hint">{n.hint}</p> : null}
            </li>
          ))}
        </ol>
      )}
      <p class="status" role="status">
        {msg ?? ''}
      </p>
    </div>
  );
}
