"use client";

import { useCallback, useRef, useState } from "react";
import type { UntypedResult } from "@probestream/types/summary";
import { LatencyMap } from "../../../components/result-views/latency-map";
import { ResultStore, type StoreView } from "../../../components/result-views/result-store";
import type { StatusCheckAnswer } from "@probestream/types/status-check";
import type { AlertEvent } from "@probestream/types/stream-events";
import { DownloadForm } from "./download-form";
import { HealthLine, NO_ALERTS, healthOf, withAlert, type Health } from "./health";
import { ReplayForm } from "./replay-form";
import { ResultsTable } from "./results-table";
import { TypeView } from "./type-view";
import { useResultStream, type StreamState } from "./use-result-stream";
import styles from "./live.module.css";

const STATE_LABELS: Record<StreamState, string> = {
  idle: "not live: no more results will come",
  connecting: "connecting…",
  subscribed: "live",
  replaying: "replaying history…",
  replayed: "replay finished",
  disconnected: "disconnected, retrying…",
};

/** A busy measurement's views redraw this often at most; the browser keeps the rest of each second. */
const RENDERS_PER_SECOND = 8;

export interface LiveResultsProps {
  gatewayUrl: string;
  msmId: number;
  type: string;
  /** The visitor's key, given only for a private measurement they may read. */
  streamKey: string | null;
  /** The measurement has results still to come. */
  live: boolean;
  /** Each probe's latest stored result, read as the visitor. */
  initial: UntypedResult[];
  /** Where the replay form starts, Unix seconds (decided by the server, so both renders agree). */
  replayFrom: number;
  /** Where the live stream catches up from (Unix seconds): shortly before the server's snapshot. */
  catchUpFrom: number;
  /** The status check when the page was made, as the visitor may read it; the alert stream keeps it up to date. */
  initialHealth: StatusCheckAnswer | null;
}

/**
 * The measurement's results, per type, as they arrive. Results go into a bounded store at once;
 * the page re-renders at most once per animation frame and a few times a second, however many arrive.
 */
export function LiveResults({ gatewayUrl, msmId, type, streamKey, live, initial, replayFrom, catchUpFrom, initialHealth }: LiveResultsProps) {
  const [health, setHealth] = useState<Health>(() => healthOf(initialHealth));
  const [store] = useState(() => {
    const created = new ResultStore();
    created.add(initial);
    return created;
  });
  const [view, setView] = useState<StoreView>(() => store.view());
  const scheduled = useRef(false);
  const lastRender = useRef(0);

  // At most one render per animation frame, and no more than RENDERS_PER_SECOND: results land in the
  // store at once, the page catches up with all of them in the next render.
  const render = useCallback(() => {
    if (scheduled.current) return;
    scheduled.current = true;
    const wait = Math.max(0, lastRender.current + 1000 / RENDERS_PER_SECOND - performance.now());
    setTimeout(() => {
      requestAnimationFrame(() => {
        scheduled.current = false;
        lastRender.current = performance.now();
        setView(store.view());
      });
    }, wait);
  }, [store]);

  const onResults = useCallback(
    (results: UntypedResult[]) => {
      if (store.add(results) > 0) render();
    },
    [store, render],
  );
  const onReplayStart = useCallback(() => {
    store.clear();
    render();
  }, [store, render]);

  const onAlertReset = useCallback(() => setHealth(NO_ALERTS), []);
  const onAlert = useCallback((event: AlertEvent) => setHealth((now) => withAlert(now, event)), []);
  const stream = useResultStream({ gatewayUrl, msmId, streamKey, live, catchUpFrom, onResults, onReplayStart, onAlertReset, onAlert });
  const alerting = new Set(health.alerting.keys());

  return (
    <section className={styles.live} aria-labelledby="results-heading" data-testid="live-results" data-received={view.total} data-type={type}>
      <div className={styles.bar}>
        <h2 id="results-heading">Results</h2>
        <span className={`${styles.connection} ${styles[stream.state] ?? ""}`} data-testid="connection" data-state={stream.state} role="status">
          <span className={styles.dot} aria-hidden="true" />
          {STATE_LABELS[stream.state]}
          {stream.state === "replaying" && ` (${view.total.toLocaleString("en-US")} so far)`}
          {stream.replayed !== null && stream.state !== "replaying" && ` · replayed ${stream.replayed.toLocaleString("en-US")}`}
        </span>
        <span className={styles.note} data-testid="received">
          {view.total.toLocaleString("en-US")} results · {view.probes.length.toLocaleString("en-US")} probes
        </span>
      </div>
      <HealthLine health={health} />
      {stream.problem && (
        <p className={styles.error} role="alert">
          {stream.problem}
        </p>
      )}
      <div className={styles.controls}>
        <ReplayForm defaultStart={replayFrom} onReplay={stream.replay} disabled={stream.state === "replaying"} />
        <DownloadForm msmId={msmId} knownProbes={view.probes.map((p) => p.prbId)} />
      </div>
      {view.total === 0 ? (
        <p className={styles.note}>{live ? "Waiting for the first results…" : "This measurement has no stored results."}</p>
      ) : (
        <>
          <TypeView type={type} view={view} />
          <LatencyMap locationsUrl={`/measurements/${msmId}/probe-locations`} probes={view.probes} alerting={alerting} />
        </>
      )}
      <ResultsTable rows={view.rows} total={view.total} alerting={alerting} />
    </section>
  );
}
