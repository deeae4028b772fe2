// A picker's options: "choose…" first, then the codes in words.

export function CodeOptions<I extends { code: string }>(props: { choose: string; items: I[]; text: (item: I) => string }) {
  return (
    <>
      <option value="">{props.choose}</option>
      {props.items.map((item) => (
        <option value={item.code} key={item.code}>
          {props.text(item)}
        </option>
      ))}
    </>
  );
}
