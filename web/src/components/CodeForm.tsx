import { type FormEvent, useId, useState } from 'react';

/** A 6-digit one-time code: numeric keyboard on phones, the browser may fill it from a message. */
export function CodeForm({
  label,
  hint,
  submitLabel,
  onSubmit,
  autoFocus = false,
}: {
  readonly label: string;
  readonly hint?: string;
  readonly submitLabel: string;
  /** Resolves when the code was accepted; rejects (after showing why elsewhere) when not. */
  readonly onSubmit: (code: string) => Promise<boolean>;
  readonly autoFocus?: boolean;
}) {
  const id = useId();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    try {
      if (!(await onSubmit(code))) setCode('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="code-form" onSubmit={(e) => void submit(e)}>
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          name="code"
          className="code-input"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]{6}"
          minLength={6}
          maxLength={6}
          required
          // biome-ignore lint/a11y/noAutofocus: shown right after the person asked for a code, to type it
          autoFocus={autoFocus}
          value={code}
          onChange={(e) => setCode(e.target.value.replace(/\D/g, '').slice(0, 6))}
          {...(hint !== undefined && { 'aria-describedby': `${id}-hint` })}
        />
        {hint !== undefined && (
          <p className="hint" id={`${id}-hint`}>
            {hint}
          </p>
        )}
      </div>
      <button type="submit" className="button-primary" disabled={busy}>
        {busy ? 'Checking…' : submitLabel}
      </button>
    </form>
  );
}
