"use client";

import { useState } from "react";
import type { ResultRow } from "../../../components/result-views/result-store";
import { ScrollTable } from "../../../components/result-views/scroll-table";
import views from "../../../components/result-views/views.module.css";
import { formatTime } from "../../../lib/format";
import styles from "./live.module.css";

/** Rows shown: the newest of the window. */
const SHOWN_ROWS = 50;

function RawJson({ result }: { result: unknown }) {
  const [open, setOpen] = useState(false);
  // Serialised only when opened: hundreds of rows a second pass through this table.
  return (
    <details onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>JSON</summary>
      {open && <pre className={styles.raw}>{JSON.stringify(result, null, 2)}</pre>}
    </details>
  );
}

export function ResultsTable({ rows, total, alerting }: { rows: ResultRow[]; total: number; alerting: ReadonlySet<number> }) {
  const shown = rows.slice(0, SHOWN_ROWS);
  return (
    <section className={styles.block} aria-labelledby="latest-results">
      <h3 id="latest-results">Latest results</h3>
      <p className={styles.note}>
        The newest {shown.length} of {total.toLocaleString("en-US")} on this page; older rows leave the page (their probes&apos; figures above stay).
      </p>
      <ScrollTable label="Latest results" data-testid="results" data-stored="loaded">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col" className={views.num}>Probe</th>
            <th scope="col">Summary</th>
            <th scope="col">Raw</th>
          </tr>
        </thead>
        <tbody>
          {shown.length === 0 && (
            <tr>
              <td colSpan={4} className={styles.note}>
                No results yet.
              </td>
            </tr>
          )}
          {shown.map((row) => (
            <tr
              key={row.seq}
              data-testid="result-row"
              data-prb-id={row.prbId ?? undefined}
              data-timestamp={row.timestamp ?? undefined}
              data-alert={row.prbId !== null && alerting.has(row.prbId) ? "true" : undefined}
              className={row.prbId !== null && alerting.has(row.prbId) ? styles.alertRow : undefined}
            >
              <td className={styles.nowrap}>{row.timestamp !== null ? formatTime(row.timestamp) : "—"}</td>
              <td className={views.num}>{row.prbId ?? "—"}</td>
              <td>{row.summary}</td>
              <td>
                <RawJson result={row.result} />
              </td>
            </tr>
          ))}
        </tbody>
      </ScrollTable>
    </section>
  );
}
