// A form field with its label, hint and error next to it.
import type { ComponentChildren } from 'preact';

export function Field(props: { id: string; label: string; error?: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class={'field' + (props.error ? ' invalid' : '')} data-field={props.id}>
      <label for={props.id}>{props.label}</label>
      {props.hint && <p class="hint">{props.hint}</p>}
      {props.children}
      {props.error && (
        <p class="error" id={props.id + '-error'} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}
