import type { StaffLang } from './i18n';
import { codes, word, type WordList } from './words';

// A <select> of a code list, each code in words; `empty` adds a first
// option with no value ("all", "choose").
export function CodeSelect(props: {
  id: string;
  list: WordList;
  lang: StaffLang;
  value: string;
  onChange: (e: Event) => void;
  empty?: string;
  only?: string[]; // the codes offered, when not all of the list
}) {
  return (
    <select id={props.id} value={props.value} onChange={props.onChange}>
      {props.empty !== undefined && <option value="">{props.empty}</option>}
      {codes(props.list)
        .filter((c) => !props.only || props.only.includes(c))
        .map((c) => (
          <option key={c} value={c}>
            {word(props.list, c, props.lang)}
          </option>
        ))}
    </select>
  );
}
