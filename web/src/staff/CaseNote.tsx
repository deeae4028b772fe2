// An internal note on a case, sealed with the case's key.
import { useState } from 'preact/hooks';
import { value, type T } from './common';
import type { Step } from './types';

export function CaseNote(props: { t: T; step: Step }) {
  const { t } = props;
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
    </section>
  );
}
