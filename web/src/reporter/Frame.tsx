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

// The quick exit (issue 22 §5): the neutral cover is painted first, from
// this page, before anything is wiped, so it shows without signal and
// without the service worker; the address becomes the cover's. Then the
// phone is wiped. With signal the real cover page replaces this one (the
// back button finds nothing of the app); without, this page stays the
// cover, and the logout the server did not get goes when the signal
// returns (held in this page's memory only: nothing is kept on the phone).
async function quickExit(): Promise<void> {
  paintCover();
  const pending = await wipeDevice();
  if (navigator.onLine && !pending) {
    location.replace('/neutral.html');
    return;
  }
  if (pending) window.addEventListener('online', () => void pending().then(() => location.replace('/neutral.html')), { once: true });
}

// The same recipe as /neutral.html, written into this page at once.
function paintCover(): void {
  document.title = 'Resep Nasi Liwet';
  document.querySelector('meta[name="theme-color"]')?.setAttribute('content', '#ffffff');
  document.documentElement.lang = 'id';
  document.body.innerHTML =
    '<main class="cover"><h1>Resep Nasi Liwet</h1>' +
    '<p>Bahan: 2 gelas beras, 2,5 gelas air, 3 siung bawang merah, 2 lembar daun salam, 1 batang serai, garam secukupnya.</p>' +
    '<ol><li>Cuci beras hingga bersih.</li><li>Tumis bawang merah sampai harum.</li>' +
    '<li>Masukkan beras, air, daun salam, serai dan garam.</li><li>Masak dengan api kecil hingga matang.</li></ol>' +
    '<p>Sajikan dengan ikan asin dan sambal.</p></main>';
  history.replaceState(null, '', '/neutral.html');
}
