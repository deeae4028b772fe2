// Where a companion works, their sex and languages (the admin sets them in
// the accounts screen): what a suggestion matches a case against.
import { useEffect, useState } from 'preact/hooks';
import { api, type Schemas } from '../shared/api/client';
import type { StaffLang } from './i18n';
import { checked, failure, value, type T } from './common';
import { codes, kecamatanList, word } from './words';
export type Profile = Schemas['CompanionProfile'];

// One line for the accounts table: sex · languages · kecamatan.
export function areaLine(p: Profile | undefined, kec: { code: string; name: string }[], t: T, lang: StaffLang): string {
  if (!p || (!p.sex && !p.languages.length && !p.kecamatan_codes.length)) return t('area_none');
  const names = p.kecamatan_codes.map((c) => kec.find((k) => k.code === c)?.name ?? c);
  return [p.sex ? word('sex', p.sex, lang) : null, p.languages.map((l) => word('language', l, lang)).join(', ') || null, names.join(', ') || null]
    .filter(Boolean)
    .join(' · ');
}

const toggle = (list: string[], code: string, on: boolean) => (on ? [...list.filter((x) => x !== code), code] : list.filter((x) => x !== code));

export function CompanionArea(props: { t: T; lang: StaffLang; token: string; id: string; login: string; profile?: Profile; saved: (msg: string) => void; expired: () => void }) {
  const { t, lang } = props;
  const [kec, setKec] = useState<{ code: string; name: string }[]>([]);
  const [sex, setSex] = useState(props.profile?.sex ?? '');
  const [langs, setLangs] = useState<string[]>(props.profile?.languages ?? []);
  const [area, setArea] = useState<string[]>(props.profile?.kecamatan_codes ?? []);
  const [msg, setMsg] = useState<string | null>(null);
  useEffect(() => void kecamatanList().then(setKec), []);
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      await api('PUT', `/v1/staff/accounts/${props.id}/companion`, { token: props.token, body: { sex: sex || null, languages: langs, kecamatan_codes: area } });
      props.saved(t('area_saved', { login: props.login }));
    } catch (x) {
      setMsg(failure(t, x, props.expired));
    }
  };
  const h = `area-${props.id}`;
  return (
    <form class="area" onSubmit={save} aria-labelledby={h}>
      <h2 id={h}>{t('area_edit', { login: props.login })}</h2>
      <label for={`${h}-sex`}>{t('sex')}</label>
      <select id={`${h}-sex`} value={sex} onChange={(e) => setSex(value(e))}>
        <option value="">{t('sex_unsaid')}</option>
        {codes('sex').map((c) => (
          <option value={c}>{word('sex', c, lang)}</option>
        ))}
      </select>
      <fieldset>
        <legend>{t('languages_spoken')}</legend>
        {codes('language').map((c) => (
          <label class="check">
            <input type="checkbox" checked={langs.includes(c)} onChange={(e) => setLangs(toggle(langs, c, checked(e)))} /> {word('language', c, lang)}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>{t('kecamatan_covered')}</legend>
        <label class="check">
          <input type="checkbox" checked={kec.length > 0 && area.length === kec.length} onChange={(e) => setArea(checked(e) ? kec.map((k) => k.code) : [])} /> {t('area_all')}
        </label>
        <div class="checks">
          {kec.map((k) => (
            <label class="check" key={k.code}>
              <input type="checkbox" checked={area.includes(k.code)} onChange={(e) => setArea(toggle(area, k.code, checked(e)))} /> {k.name}
            </label>
          ))}
        </div>
      </fieldset>
      <p class="status" role="status">
        {msg ?? ''}
      </p>
      <button type="submit" class="primary">
        {t('save')}
      </button>
    </form>
  );
}
