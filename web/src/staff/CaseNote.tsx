// Internal notes on a case, sealed with the case's key: written here, and
// read back by an admin or a supervisor who states a purpose (the reading
// is recorded, issue 22 §4), with the confirmation calls' notes, the
// companion's identification notes and the agencies' follow-ups.
import { useState } from 'preact/hooks';
import type { StaffLang } from './i18n';
import { value, type T } from './common';
import { SealedNotes } from './SealedNotes';
import type { Step } from './types';

export function CaseNote(props: { t: T; lang: StaffLang; token: string; id: string; step: Step; expired: () => void }) {
  const { t, lang } = props;
  const [text, setText] = useState('');
  return (
    <section aria-labelledby="note-h">
      <h3 id="note-h">{t('notes')}</h3>
      <p class="hint">{t('notes_hint')}</p>
      <label for="note" class="sr">
        {t('notes')}
      </label>
      <textarea id="note" maxLength={4000} value={text} onInput={(e) => setText(value(e))} />
      <button type="button" disabled={!text.trim()} onClick={() => void props.step('notes', { text }).then((err) => !err && setText(''))}>
        {t('note_add')}
      </button>
      <SealedNotes t={t} lang={lang} token={props.token} id={props.id} sources={['notes', 'identification-notes', 'follow-ups']} expired={props.expired} />
    </section>
  );
}
