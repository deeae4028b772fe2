// What the apps need to know of this deployment (GET /v1/app-config),
// asked once per page. The numbers a reporter in danger can call have
// national defaults, so that they show at once and without signal.
import { api, type AppConfig } from './api/client';

export type Help = AppConfig['help'];
export const DEFAULT_HELP: Help = { emergency: '112', police: '110', sapa: '129', sapa_whatsapp: '08111129129', office: '' };

let config: Promise<AppConfig> | null = null;
export function appConfig(): Promise<AppConfig> {
  config ??= api<AppConfig>('GET', '/v1/app-config').then((r) => r.data);
  // A failed ask is asked again next time (the signal may come back).
  config.catch(() => { config = null; });
  return config;
}
