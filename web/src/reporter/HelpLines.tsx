// The ways out for a reporter in danger now: one tap calls the emergency
// number, the police, SAPA 129 (the ministry's line) and the office, or
// opens SAPA 129 on WhatsApp. The numbers are the deployment's
// (GET /v1/app-config), the national ones until it has answered; a call
// needs no mobile data.
import { useEffect, useState } from 'preact/hooks';
import { appConfig, DEFAULT_HELP, type Help } from '../shared/appconfig';
import type { T } from './screens';

// WhatsApp wants the number in international form, without "+".
function whatsapp(n: string): string {
  const digits = n.replace(/^\+/, '');
  return 'https://wa.me/' + (digits.startsWith('0') ? '62' + digits.slice(1) : digits);
}

export function HelpLines(props: { t: T; lead?: string }) {
  const { t } = props;
  const [help, setHelp] = useState<Help>(DEFAULT_HELP);
  useEffect(() => {
    let live = true;
    appConfig()
      .then((c) => live && setHelp(c.help))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  const calls: [string, string][] = [
    [help.emergency, t('help_emergency', { n: help.emergency })],
    [help.police, t('help_police', { n: help.police })],
    [help.sapa, t('help_sapa', { n: help.sapa })],
    [help.office, t('help_office', { n: help.office })],
  ];
  return (
    <section class="help" aria-labelledby="help-title">
      <p id="help-title" class="help-title">
        {props.lead ?? t('help_title')}
      </p>
      <ul>
        {calls
          .filter(([n]) => n)
          .map(([n, label]) => (
            <li key={n}>
              <a class="call" href={`tel:${n}`}>
                {label}
              </a>
            </li>
          ))}
        {help.sapa_whatsapp && (
          <li>
            <a class="call wa" href={whatsapp(help.sapa_whatsapp)} rel="noopener noreferrer">
              {t('help_sapa_wa')}
            </a>
          </li>
        )}
      </ul>
    </section>
  );
}
