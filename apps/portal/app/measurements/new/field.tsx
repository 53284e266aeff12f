import type { FieldSpec } from "../../../lib/measurement-form";
import styles from "./new.module.css";

/** The element id of a field: its name (a body pointer) with the slashes replaced. */
export function fieldId(name: string): string {
  return `f-${name.replaceAll("/", "-")}`;
}

/**
 * A schema pattern (found anywhere in the value, unless anchored) as HTML's `pattern`, which must
 * match the whole value: anything may come before and after it.
 */
function htmlPattern(pattern: string | undefined): string | undefined {
  return pattern === undefined ? undefined : String.raw`[\s\S]*(?:${pattern})[\s\S]*`;
}

function displayChoice(name: string, choice: string | number): string {
  return name.endsWith("/af") ? `IPv${choice}` : String(choice);
}

interface FieldProps {
  spec: FieldSpec;
  value?: string;
  error?: string;
  /** Replaces the schema's label (the probe source's value is named by the source type). */
  label?: string;
}

/** One input with its label, hint and error, tied together for screen readers. */
export function Field({ spec, value, error, label }: FieldProps) {
  const id = fieldId(spec.name);
  const hintId = spec.hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const range = spec.kind === "integer" && (spec.min !== undefined || spec.max !== undefined) ? `${spec.min ?? "…"} to ${spec.max ?? "…"}` : null;
  const rangeId = range ? `${id}-range` : undefined;
  const describedBy = [rangeId, hintId, errorId].filter(Boolean).join(" ") || undefined;
  const shown = label ?? spec.label;
  const messages = (
    <>
      {spec.hint ? (
        <span id={hintId} className={styles.hint}>
          {spec.hint}
        </span>
      ) : null}
      {error ? (
        <span id={errorId} className={styles.error} data-testid="field-error" data-field={spec.name}>
          {error}
        </span>
      ) : null}
    </>
  );

  if (spec.kind === "boolean") {
    return (
      <div className={`${styles.field} ${styles.check}`}>
        <input id={id} name={spec.name} type="checkbox" defaultChecked={value === "on"} aria-invalid={error ? true : undefined} aria-describedby={describedBy} />
        <label htmlFor={id}>{shown}</label>
        {messages}
      </div>
    );
  }

  const common = {
    id,
    name: spec.name,
    required: spec.required,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": describedBy,
    className: `input ${styles.control}`,
  } as const;
  return (
    <div className={styles.field}>
      <label htmlFor={id}>
        {shown}
        {spec.required ? null : <span className={styles.optional}> (optional)</span>}
      </label>
      {spec.kind === "choice" ? (
        <select {...common} defaultValue={value ?? (spec.required ? String(spec.choices[0]) : "")}>
          {spec.required ? null : <option value="">{spec.placeholder === undefined ? "API default" : `default (${displayChoice(spec.name, spec.placeholder)})`}</option>}
          {spec.choices.map((choice) => (
            <option key={String(choice)} value={String(choice)}>
              {displayChoice(spec.name, choice)}
            </option>
          ))}
        </select>
      ) : spec.kind === "datetime" ? (
        <input {...common} type="datetime-local" defaultValue={value} />
      ) : spec.kind === "integer" ? (
        <input
          {...common}
          type="number"
          inputMode="numeric"
          step={1}
          min={spec.min}
          max={spec.max}
          placeholder={spec.placeholder === undefined ? undefined : String(spec.placeholder)}
          defaultValue={value}
        />
      ) : (
        <input
          {...common}
          type="text"
          maxLength={spec.maxLength}
          pattern={htmlPattern(spec.pattern)}
          placeholder={spec.placeholder}
          defaultValue={value}
          autoComplete="off"
          spellCheck={false}
        />
      )}
      {range ? (
        <span id={rangeId} className={styles.range}>
          {range}
        </span>
      ) : null}
      {messages}
    </div>
  );
}
