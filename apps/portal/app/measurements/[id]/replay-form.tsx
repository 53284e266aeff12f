"use client";

import { useState, type FormEvent } from "react";
import { fromUtcInputValue, toUtcInputValue } from "../../../lib/format";
import styles from "./live.module.css";

export interface ReplayRequest {
  startTime: number;
  endTime: number | null;
  /** Multiple of real time; 0: as fast as the browser reads. */
  speed: number;
}

const SPEEDS = [
  { value: 1, label: "real time" },
  { value: 10, label: "10×" },
  { value: 60, label: "60× (a minute a second)" },
  { value: 600, label: "600×" },
  { value: 0, label: "as fast as possible" },
];

function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

/** Pick a time range and a speed; the stream replays that history, then goes on live. */
export function ReplayForm({ defaultStart, onReplay, disabled }: { defaultStart: number; onReplay: (request: ReplayRequest) => void; disabled: boolean }) {
  const [error, setError] = useState<string | null>(null);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const startTime = fromUtcInputValue(field(form, "start"));
    const endText = field(form, "end");
    const endTime = endText === "" ? null : fromUtcInputValue(endText);
    if (startTime === null) return setError("Pick when the replay starts.");
    if (endText !== "" && (endTime === null || endTime <= startTime)) return setError("The end must be after the start.");
    setError(null);
    onReplay({ startTime, endTime, speed: Number(field(form, "speed") || 60) });
  }

  return (
    <form className={styles.form} onSubmit={submit} data-testid="replay-form" noValidate>
      <fieldset disabled={disabled}>
        <legend>Replay history</legend>
        <label>
          From (UTC)
          <input type="datetime-local" name="start" required defaultValue={toUtcInputValue(defaultStart)} aria-describedby={error ? "replay-error" : undefined} />
        </label>
        <label>
          Until (UTC) <span className={styles.note}>(empty: up to now)</span>
          <input type="datetime-local" name="end" />
        </label>
        <label>
          Speed
          <select name="speed" defaultValue="60">
            {SPEEDS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Replay</button>
        {error && (
          <p id="replay-error" className={styles.error} role="alert">
            {error}
          </p>
        )}
      </fieldset>
    </form>
  );
}
