"use client";

import type { ReactNode } from "react";
import type { ProbeStatusEvent } from "@probestream/types";
import { formatCount, formatTime } from "../../../lib/format";
import { statusAfter, type ShownStatus } from "../probe-status";
import { StatusBadge } from "../status-badge";
import { StreamIndicator } from "../stream-indicator";
import { useProbeStatusStream } from "../use-probe-status-stream";
import styles from "./probe.module.css";

/** The same change from the history and the stream. */
const keyOf = (e: ProbeStatusEvent) => `${e.timestamp}-${e.event}-${e.controller}`;

/**
 * The probe's status now and its history of connections, kept current by the probestatus stream:
 * a change appears at the top of the history and in the status as it happens.
 */
export function ProbeStatusPanel({
  prbId,
  gatewayUrl,
  initialStatus,
  history,
  historyCount,
  newestPage,
  pager,
}: {
  prbId: number;
  gatewayUrl: string;
  initialStatus: ShownStatus;
  /** A page of the history, newest first. */
  history: ProbeStatusEvent[];
  historyCount: number;
  /** Whether `history` is its newest page, above which live changes appear. */
  newestPage: boolean;
  pager?: ReactNode;
}) {
  const { events, state } = useProbeStatusStream(gatewayUrl, prbId);
  const known = new Set(history.map(keyOf));
  const live = events.filter((e) => e.prb_id === prbId && !known.has(keyOf(e)));
  const newest = live[0];
  const status = newest && (initialStatus.since === null || newest.timestamp >= initialStatus.since) ? statusAfter(newest) : initialStatus;
  const rows = newestPage ? [...live, ...history] : history;

  return (
    <section className={styles.section} aria-labelledby="status-heading">
      <div className={styles.sectionHead}>
        <h2 id="status-heading">Status</h2>
        <StreamIndicator state={state} />
      </div>
      <p className={styles.statusNow} data-testid="probe-status" data-status={status.id}>
        <StatusBadge status={status} withSince />
      </p>
      <h3 className={styles.subheading} id="history-heading">Connections and disconnections</h3>
      <p className="muted">{formatCount(historyCount + live.length)} recorded, newest first.</p>
      <div className={styles.tableScroll} role="region" aria-labelledby="history-heading" tabIndex={0}>
        <table className="data-table" data-testid="status-history">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col">Controller</th>
              <th scope="col">ASN</th>
              <th scope="col">Prefix</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">{historyCount === 0 ? "This probe has never connected." : "No changes on this page."}</td>
              </tr>
            )}
            {rows.map((e) => (
              <tr key={keyOf(e)} data-testid="status-event" data-event={e.event}>
                <td className="mono">{formatTime(e.timestamp)}</td>
                <td>{e.event === "connect" ? "Connected" : "Disconnected"}</td>
                <td className="mono">{e.controller}</td>
                <td className="mono">{e.asn === null ? "—" : `AS${e.asn}`}</td>
                <td className="mono">{e.prefix ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pager}
    </section>
  );
}
