import styles from "./live.module.css";

/** A file of stored results: a plain GET form, so the browser saves what the route handler streams. */
export function DownloadForm({ msmId, knownProbes }: { msmId: number; knownProbes: number[] }) {
  const hint = knownProbes.length > 0 ? `e.g. ${knownProbes.slice(0, 3).join(", ")}` : "e.g. 1001, 1002";
  return (
    <form className={styles.form} method="get" action={`/measurements/${msmId}/download`} data-testid="download-form">
      <fieldset>
        <legend>Download results</legend>
        <label>
          From (UTC)
          <input type="datetime-local" name="start" />
        </label>
        <label>
          Until (UTC)
          <input type="datetime-local" name="stop" />
        </label>
        <label>
          Probe ids <span className={styles.note}>(empty: all)</span>
          <input type="text" name="probe_ids" inputMode="numeric" pattern="[0-9, ]*" placeholder={hint} />
        </label>
        <label>
          Format
          <select name="format" defaultValue="json">
            <option value="json">JSON array</option>
            <option value="txt">One result per line</option>
          </select>
        </label>
        <button type="submit">Download file</button>
      </fieldset>
    </form>
  );
}
