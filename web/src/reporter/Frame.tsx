// Every screen's frame: the language switch and the quick exit on top.
import { useEffect, useRef } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { LANGS, type Lang } from './i18n';
import { wipeDevice } from './store';
import type { T } from './screens';

export function Frame(props: { t: T; lang: Lang; setLang: (l: Lang) => void; title: string; children: ComponentChildren }) {
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => h1.current?.focus(), [props.title]);
  return (
    <div class="frame">
      <header class="bar">
        <label class="lang">
          <span class="sr">{props.t('language')}</span>
          <select value={props.lang} onChange={(e) => props.setLang((e.target as HTMLSelectElement).value as Lang)}>
            {LANGS.map((l) => (
              <option value={l.code} key={l.code}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
        <button class="exit" type="button" aria-describedby="exit-hint" onClick={() => void quickExit()}>
          {props.t('exit')}
        </button>
        <span id="exit-hint" class="sr">
          {props.t('exit_hint')}
        </span>
      </header>
      <main>
        <h1 tabIndex={-1} ref={h1}>
          {props.title}
        </h1>
        {props.children}
      </main>
    </div>
  );
}

async function quickExit(): Promise<void> {
  await wipeDevice();
  location.replace('/neutral.html');
}
