// A line that says what is happening, read out by screen readers.
export function Status(props: { text: string | null; kind?: 'error' | 'info' }) {
  return (
    <p class={'status ' + (props.kind ?? 'info')} role={props.kind === 'error' ? 'alert' : 'status'} aria-live="polite">
      {props.text ?? ''}
    </p>
  );
}
