// The API, typed from openapi.yaml (src/api/schema.d.ts is generated from
// it at build time: a drift between the contract and the app fails the
// build).
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
// The victim and the place carry "at least one of" rules (anyOf), which
// the generator types as unknown: their fields are spelt out here, the
// code lists still come from the contract.
export interface Victim {
  sex?: 'F' | 'M';
  age?: number;
  age_band?: Schemas['AgeBand'];
  child?: boolean;
  disability?: boolean;
  name?: string;
}
export interface Place {
  lat?: number;
  lon?: number;
  kecamatan_code?: Schemas['KecamatanCode'];
  desa_code?: Schemas['DesaCode'];
  address?: string;
}
export type ReportBody = Omit<Schemas['Report'], 'victim' | 'location'> & { victim: Victim; location: Place };
export type CaseSummary = Schemas['CaseSummary'];
export type MyReport = Schemas['MyReport'];
export type Approach = Schemas['Approach'];
export type Catalog = paths['/v1/catalog']['get']['responses']['200']['content']['application/json'];
export type Regions = paths['/v1/regions']['get']['responses']['200']['content']['application/json'];
export type AppConfig = paths['/v1/app-config']['get']['responses']['200']['content']['application/json'];
export type ApiError = Schemas['Error']['error'];

export class HttpError extends Error {
  constructor(
    public status: number,
    public error: ApiError,
    public retryAfter: number,
  ) {
    super(error.message);
  }
}
// No answer at all: no signal, or the server unreachable.
export class OfflineError extends Error {}

export async function api<T>(
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; data: T; headers: Headers }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new OfflineError('offline');
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data as { error?: ApiError } | null)?.error ?? { code: 'http_' + res.status, message: res.statusText };
    throw new HttpError(res.status, e, Number(res.headers.get('retry-after') ?? '0') || 0);
  }
  return { status: res.status, data: data as T, headers: res.headers };
}
