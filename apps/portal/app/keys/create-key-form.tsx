"use client";

import { useActionState } from "react";
import { createKey, type CreateKeyState } from "./actions";
import styles from "./keys.module.css";

interface RightChoice {
  right: string;
  description: string;
  /** Whether the signed-in key holds it (a new key gets at most those). */
  held: boolean;
}

/** Makes a key with chosen rights; the key itself is shown here once, after it is made. */
export function CreateKeyForm({ choices }: { choices: RightChoice[] }) {
  const [state, action, pending] = useActionState<CreateKeyState, FormData>(createKey, {});
  return (
    <form action={action} className={styles.create} aria-labelledby="create-key-heading">
      <h2 id="create-key-heading">Create a key</h2>
      <div className={styles.field}>
        <label htmlFor="key-label">Label</label>
        <input id="key-label" name="label" className="input" maxLength={128} placeholder="e.g. scripts on my laptop" />
      </div>
      <fieldset className={styles.rights}>
        <legend>Rights</legend>
        {choices.map((c) => (
          <div key={c.right} className={styles.right}>
            <input id={`right-${c.right}`} type="checkbox" name="rights" value={c.right} disabled={!c.held} aria-describedby={`right-${c.right}-about`} />
            <label htmlFor={`right-${c.right}`}>
              <code>{c.right}</code>
            </label>
            <span id={`right-${c.right}-about`} className="muted">
              {c.description}
              {c.held ? "" : " — your key lacks it, so it cannot grant it."}
            </span>
          </div>
        ))}
      </fieldset>
      <button type="submit" className="button" disabled={pending}>
        {pending ? "Creating…" : "Create key"}
      </button>
      <div aria-live="polite">
        {state.error ? (
          <p className="notice notice-bad" role="alert">
            {state.error}
          </p>
        ) : null}
        {state.created ? (
          <div className="notice notice-ok" data-testid="new-key">
            <p>
              Key {state.created.id} created. Copy it now: it is shown only this once.
            </p>
            <label htmlFor="new-key-value" className="sr-only">
              The new key
            </label>
            <input id="new-key-value" className={`input mono ${styles.newKey}`} readOnly value={state.created.key} data-testid="new-key-value" onFocus={(e) => e.currentTarget.select()} />
          </div>
        ) : null}
      </div>
    </form>
  );
}
