// The shapes the staff screens pass around.
import type { HttpError, Schemas } from '../shared/api/client';
import type { paths } from '../shared/api/schema';

export type CaseDetail = Schemas['CaseDetail'];
export type Referral = Schemas['Referral'];
export type Visit = Schemas['Visit'];
export type Place = { lat: number; lon: number };
// One companion of GET /v1/staff/cases/{id}/companions.
export interface Suggestion {
  companion_id: string;
  first_name: string;
  badge: string;
  position_known: boolean;
  distance_m?: number;
  eta_minutes?: number;
  load: number;
  preference_met: boolean;
  covers_kecamatan: boolean;
  position?: { lat: number; lon: number };
}
// One agency of the directory (GET /v1/staff/agencies).
export type Agency = paths['/v1/staff/agencies']['get']['responses']['200']['content']['application/json']['agencies'][number];
// A step of a case on the desk: null when it was taken, the error otherwise.
export type Step = (path: string, body?: unknown) => Promise<HttpError | null>;
// A step of a referral in the agency's inbox.
export type Act = (what: string, body?: unknown) => Promise<void>;
