"use client";

import { useEffect, useReducer, useState } from "react";
import { io } from "socket.io-client";
import { formatTime } from "../../../lib/format";
import { summarizeResult, type ResultSummary, type UntypedResult } from "@probestream/types/summary";
import { RttChart, type ChartPoint } from "./rtt-chart";

/** Enough to watch a measurement live without the page growing without bound. */
const MAX_ROWS = 300;

type ConnectionState = "connecting" | "connected" | "subscribed" | "disconnected";
type StoredState = "loading" | "loaded" | "failed";

interface Row {
  /** The result's JSON minus what the platform adds: the same result from /latest/ and the stream match. */
  fingerprint: string;
  result: UntypedResult;
  prbId: number | null;
  timestamp: number | null;
  summary: ResultSummary;
}

type RowsAction = { kind: "live"; results: UntypedResult[] } | { kind: "initial"; results: UntypedResult[] };

function isRecord(value: unknown): value is UntypedResult {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toRow(result: UntypedResult): Row {
  const { stored_timestamp: _stored, ...body } = result;
  return {
    fingerprint: JSON.stringify(body),
    result,
    prbId: typeof result.prb_id === "number" ? result.prb_id : null,
    timestamp: typeof result.timestamp === "number" ? result.timestamp : null,
    summary: summarizeResult(result),
  };
}

function rowsReducer(rows: Row[], action: RowsAction): Row[] {
  const seen = new Set(rows.map((row) => row.fingerprint));
  const fresh: Row[] = [];
  for (const row of action.results.map(toRow)) {
    if (seen.has(row.fingerprint)) continue;
    seen.add(row.fingerprint);
    fresh.push(row);
  }
  if (fresh.length === 0) return rows;
  if (action.kind === "live") {
    // Streamed results arrive oldest first; the table shows the newest on top.
    return [...fresh.reverse(), ...rows].slice(0, MAX_ROWS);
  }
  // The stored snapshot is older than anything streamed since the page opened.
  fresh.sort((a, b) => (b.timestamp ?? 0) - (a.timestamp ?? 0));
  return [...rows, ...fresh].slice(0, MAX_ROWS);
}

function chartPoints(rows: Row[]): ChartPoint[] {
  return rows
    .flatMap((row) => (row.timestamp !== null && row.summary.rttMs !== null ? [{ t: row.timestamp, v: row.summary.rttMs }] : []))
    .sort((a, b) => a.t - b.t);
}

const STATE_LABELS: Record<ConnectionState, string> = {
  connecting: "connecting…",
  connected: "connected, subscribing…",
  subscribed: "live",
  disconnected: "disconnected, retrying…",
};

export function LiveResults({ gatewayUrl, msmId }: { gatewayUrl: string; msmId: number }) {
  const [rows, dispatch] = useReducer(rowsReducer, []);
  const [connection, setConnection] = useState<ConnectionState>("connecting");
  const [liveCount, setLiveCount] = useState(0);
  const [stored, setStored] = useState<StoredState>("loading");
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const socket = io(gatewayUrl, { path: "/stream/socket.io" });
    const subscription = { stream_type: "result", msm: msmId };
    // A new connection has no subscriptions: subscribe again after every (re)connect.
    socket.on("connect", () => {
      setConnection("connected");
      socket.emit("atlas_subscribe", subscription);
    });
    socket.on("atlas_subscribed", () => setConnection("subscribed"));
    socket.on("disconnect", () => setConnection("disconnected"));
    socket.on("connect_error", () => setConnection("disconnected"));
    socket.on("atlas_error", (error: unknown) => setProblem(`Stream error: ${JSON.stringify(error)}`));
    socket.on("atlas_result", (payload: unknown) => {
      // With buffering a server may send an array of results in one event.
      const results = (Array.isArray(payload) ? payload : [payload]).filter(isRecord);
      setLiveCount((n) => n + results.length);
      dispatch({ kind: "live", results });
    });
    return () => {
      socket.disconnect();
    };
  }, [gatewayUrl, msmId]);

  useEffect(() => {
    const controller = new AbortController();
    fetch(`${gatewayUrl}/api/v2/measurements/${msmId}/latest/`, { signal: controller.signal })
      .then(async (response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body: unknown = await response.json();
        if (!Array.isArray(body)) throw new Error("the answer is not a list of results");
        dispatch({ kind: "initial", results: body.filter(isRecord) });
        setStored("loaded");
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        setStored("failed");
        setProblem(`Could not load the latest results: ${String(error)}`);
      });
    return () => controller.abort();
  }, [gatewayUrl, msmId]);

  return (
    <section className="live">
      <div className="live-bar">
        <h2>Results</h2>
        <span className={`connection connection-${connection}`} data-testid="connection" data-state={connection}>
          <span className="dot" aria-hidden="true" />
          {STATE_LABELS[connection]}
        </span>
        <span className="muted">
          {rows.length} shown (newest first, up to {MAX_ROWS}) · {liveCount} received live
        </span>
      </div>
      {problem && <p className="problem">{problem}</p>}
      <RttChart points={chartPoints(rows)} />
      <table className="data-table results" data-testid="results" data-stored={stored}>
        <thead>
          <tr>
            <th>Time</th>
            <th className="num">Probe</th>
            <th>Summary</th>
            <th>Raw</th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                {stored === "loading" ? "Loading the latest results…" : "Waiting for results…"}
              </td>
            </tr>
          )}
          {rows.map((row) => (
            <tr
              key={row.fingerprint}
              data-testid="result-row"
              data-prb-id={row.prbId ?? undefined}
              data-timestamp={row.timestamp ?? undefined}
            >
              <td className="mono nowrap">{row.timestamp !== null ? formatTime(row.timestamp) : "—"}</td>
              <td className="num mono">{row.prbId ?? "—"}</td>
              <td>{row.summary.text}</td>
              <td>
                <details>
                  <summary>JSON</summary>
                  <pre>{JSON.stringify(row.result, null, 2)}</pre>
                </details>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
