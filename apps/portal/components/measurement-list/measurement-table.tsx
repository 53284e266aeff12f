"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { formatCount, formatTime } from "../../lib/format";
import type { LiveFields, MeasurementRow } from "./row";
import styles from "./measurement-list.module.css";

/**
 * Counts, last-result times and statuses refresh by polling `/measurement-counts` for the visible
 * rows, not from the stream: the stream has no count events, so counting would mean receiving every
 * result of every visible measurement (hundreds a second for busy ones) to bump a number, and a
 * private measurement's stream needs the key, which stays in the httpOnly cookie. One small REST
 * call as the visitor every REFRESH_MS, paused while the tab is hidden, is exact and cheap.
 */
const REFRESH_MS = 10_000;

function useLiveFields(ids: number[]): Record<number, LiveFields> {
  const [live, setLive] = useState<Record<number, LiveFields>>({});
  const idList = ids.join(",");
  useEffect(() => {
    if (idList === "") return;
    let stopped = false;
    const refresh = () => {
      if (document.hidden) return;
      fetch(`/measurement-counts?ids=${idList}`, { cache: "no-store" })
        .then(async (res) => {
          if (res.ok && !stopped) setLive((await res.json()) as Record<number, LiveFields>);
        })
        // Offline for a moment: the next tick tries again.
        .catch(() => {});
    };
    const timer = setInterval(refresh, REFRESH_MS);
    document.addEventListener("visibilitychange", refresh);
    return () => {
      stopped = true;
      clearInterval(timer);
      document.removeEventListener("visibilitychange", refresh);
    };
  }, [idList]);
  return live;
}

export function MeasurementTable({ rows }: { rows: MeasurementRow[] }) {
  const live = useLiveFields(rows.map((r) => r.id));
  return (
    <table className={`data-table ${styles.table}`} data-testid="measurements">
      <caption className="sr-only">Measurements; result counts refresh every {REFRESH_MS / 1000} seconds</caption>
      <thead>
        <tr>
          <th scope="col">ID</th>
          <th scope="col">Type</th>
          <th scope="col">Description</th>
          <th scope="col">Target</th>
          <th scope="col">Status</th>
          <th scope="col" className="num">
            Results
          </th>
          <th scope="col">Last result</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => {
          const m = { ...row, ...live[row.id] };
          return (
            <tr key={m.id} data-testid="measurement-row" data-msm-id={m.id} data-result-count={m.result_count}>
              <td data-label="ID">
                <Link href={`/measurements/${m.id}`}>{m.id}</Link>
              </td>
              <td data-label="Type">
                <span className={`type-badge type-${m.type}`}>{m.type}</span>
                {m.is_public ? null : (
                  <span className={styles.private} data-testid="private-badge">
                    private
                  </span>
                )}
              </td>
              <td data-label="Description" className={styles.description}>
                <Link href={`/measurements/${m.id}`}>{m.description || <span className="muted">(no description)</span>}</Link>
              </td>
              <td data-label="Target" className={`mono ${styles.target}`}>
                {m.target ?? "—"}
              </td>
              <td data-label="Status">
                <span className={styles.status} data-status={m.status.id}>
                  {m.status.name}
                </span>
              </td>
              <td data-label="Results" className="num" data-testid="result-count">
                {formatCount(m.result_count)}
              </td>
              <td data-label="Last result" className="mono">
                {m.last_result_time === null ? (
                  "—"
                ) : (
                  <time dateTime={new Date(m.last_result_time * 1000).toISOString()}>{formatTime(m.last_result_time)}</time>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
