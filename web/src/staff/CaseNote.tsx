// Internal notes on a case, sealed with the case's key: written here, and
// read back by an admin or a supervisor who states a purpose (the reading
// is recorded, issue 22 §4), with the confirmation calls' notes.
import { useState } from 'preact/hooks';
import { api } from '../shared/api/client';
import type { StaffLang } from './i18n';
import { CodeSelect } from './CodeSelect';
import { failure, value, type T } from './common';
import { when, word } from './words';
import type { Step } from './types';

type Note = { kind: 'note' | 'call'; outcome: string | null; text: string | null; override_reason: string | null; at: string; by: string };

export function CaseNote(props: { t: T; lang: StaffLang; token: string; id: string; step: Step; expired: () => void }) {
  const { t, lang } = props;
  const [text, setText] = useState('');
  const [purpose, setPurpose] = useState('case_review');
  const [notes, setNotes] = useState<Note[] | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const read = async () => {
    try {
      const { data } = await api<{ notes: Note[] }>('GET', `/v1/staff/cases/${props.id}/notes?purpose=${purpose}`, { token: props.token });
      setNotes(data.notes);
      setMsg(null);
    } catch (x) {
      setMsg(failure(t, x, props.expired));
    }
  };
  return (
    <section aria-labelledby="note-h">
      <h3 id="note-h">{t('notes')}</h3>
      <p class="hint">{t('notes_hint')}</p>
      <label for="note" class="sr">
        {t('notes')}
      </label>
      <textarea id="note" maxLength={4000} value={text} onInput={(e) => setText(value(e))} />
      <button
        type="button"
        disabled={!text.trim()}
        onClick={() => void props.step('notes', { text }).then((err) => !err && (setText(''), notes && void read()))}
      >
        {t('note_add')}
      </button>
      {!notes ? (
        <div>
          <label for="notes-purpose">{t('notes_purpose')}</label>
          <CodeSelect id="notes-purpose" value={purpose} onChange={(e) => setPurpose(value(e))} list="purpose" lang={lang} />
          <button type="button" onClick={() => void read()}>
            {t('notes_read')}
          </button>
        </div>
      ) : (
        <ol class="notes" data-testid="notes">
          {!notes.length && <li>{t('notes_none')}</li>}
          {notes.map((n, i) => (
            <li key={i}>
              <time dateTime={n.at}>{when(n.at, lang)}</time> · {n.by} · {n.kind === 'call' ? `${word('step', 'call', lang)}: ${word('call', n.outcome, lang)}` : word('step', 'note', lang)}
              {n.text ? <p>{n.text}</p> : null}
              {n.override_reason ? <p class="hint">{t('notes_override', { why: n.override_reason })}</p> : null}
            </li>
          ))}
        </ol>
      )}
      <p class="status" role="status">
        {msg ?? ''}
      </p>
    </section>
  );
}
