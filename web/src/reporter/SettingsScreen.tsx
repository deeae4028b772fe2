// Settings: language and the contact-safety choices; signing out.
import type { Settings } from './store';
import type { Screen, T } from './screens';

export function SettingsScreen(props: { t: T; settings: Settings; change: (s: Partial<Settings>) => void; go: (s: Screen) => void; signOut: () => void }) {
  const { t } = props;
  return (
    <div>
      <label class="choice">
        <input
          type="checkbox"
          checked={props.settings.neutral}
          onChange={(e) => props.change({ neutral: (e.target as HTMLInputElement).checked })}
        />
        {t('settings_neutral')}
      </label>
      <p class="hint">{t('settings_neutral_why')}</p>
      <button type="button" onClick={() => props.go({ name: 'safety' })}>
        {t('safety_title')}
      </button>
      <button type="button" onClick={props.signOut}>
        {t('settings_logout')}
      </button>
    </div>
  );
}
