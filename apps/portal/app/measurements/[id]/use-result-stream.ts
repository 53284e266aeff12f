"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import type { Socket } from "socket.io-client";
import { StreamEvents, type AlertEvent } from "@probestream/types/stream-events";
import type { UntypedResult } from "@probestream/types/summary";
import type { ReplayRequest } from "./replay-form";

export type StreamState = "idle" | "connecting" | "subscribed" | "replaying" | "replayed" | "disconnected";

type Params = Record<string, string | number | boolean>;

function isRecord(value: unknown): value is UntypedResult {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A (re)connection catches up from this long before the newest result seen (probes report late). */
const CATCH_UP_SECONDS = 120;

/**
 * The measurement's results from the stream: live (for a measurement with results to come), or a
 * replay of a time range that then goes on live. `onResults` gets each batch as it arrives. Live
 * starts with a catch-up at full speed from `catchUpFrom` (the stream hands over to live with no
 * gap), and a reconnection catches up from the newest result seen: results stored while the page
 * was not subscribed are not missed; the store drops the ones it already has.
 */
export function useResultStream(options: {
  gatewayUrl: string;
  msmId: number;
  streamKey: string | null;
  live: boolean;
  catchUpFrom: number;
  onResults: (results: UntypedResult[]) => void;
  onReplayStart: () => void;
  /** The measurement's alert stream: reset when (re)subscribed, then one call per change. */
  onAlertReset: () => void;
  onAlert: (event: AlertEvent) => void;
}) {
  const { gatewayUrl, msmId, streamKey, live, catchUpFrom, onResults, onReplayStart, onAlertReset, onAlert } = options;
  const [state, setState] = useState<StreamState>(live ? "connecting" : "idle");
  const [problem, setProblem] = useState<string | null>(null);
  const [replayed, setReplayed] = useState<number | null>(null);
  const socketRef = useRef<Promise<Socket> | null>(null);
  /** The subscription in force, to unsubscribe it. */
  const active = useRef<Params | null>(null);
  /** What a (re)connection subscribes to. */
  const wanted = useRef<Params | null>(null);
  const mode = useRef<"live" | "replay" | "none">("none");
  const handlers = useRef({ onResults, onReplayStart, onAlertReset, onAlert });
  handlers.current = { onResults, onReplayStart, onAlertReset, onAlert };
  /** The newest result timestamp received, where a live reconnection catches up from. */
  const newest = useRef(catchUpFrom + CATCH_UP_SECONDS);
  const liveParams = (): Params => ({ stream_type: "result", msm: msmId, startTime: Math.max(0, newest.current - CATCH_UP_SECONDS), speed: 0 });

  const subscribe = (socket: Socket, params: Params) => {
    active.current = params;
    socket.emit(StreamEvents.subscribe, params);
  };

  // The client library loads after the page: it is not needed to show the stored results.
  const connect = useCallback((): Promise<Socket> => {
    socketRef.current ??= import("socket.io-client").then(({ io }) => open(io(gatewayUrl, { path: "/stream/socket.io", auth: streamKey ? { key: streamKey } : undefined })));
    return socketRef.current;
  }, [gatewayUrl, streamKey, msmId, live]);

  const open = (socket: Socket): Socket => {
    // A new connection has no subscriptions: subscribe again after every (re)connect.
    socket.on("connect", () => {
      setState(mode.current === "replay" ? "replaying" : "connecting");
      if (mode.current === "live") wanted.current = liveParams();
      if (wanted.current) subscribe(socket, wanted.current);
      if (live) {
        // The alert stream starts with the probes alerting now: what was shown before is replaced.
        handlers.current.onAlertReset();
        socket.emit(StreamEvents.subscribe, { stream_type: "alert", msm: msmId });
      }
    });
    socket.on(StreamEvents.subscribed, () => setState(mode.current === "replay" ? "replaying" : "subscribed"));
    socket.on("disconnect", () => setState("disconnected"));
    socket.on("connect_error", (error: Error) => {
      setState("disconnected");
      setProblem(`Cannot reach the stream (${error.message}); retrying.`);
    });
    socket.on(StreamEvents.error, (error: unknown) => {
      const message = isRecord(error) && typeof error.message === "string" ? error.message : JSON.stringify(error);
      setProblem(`The stream reported: ${message}`);
    });
    socket.on(StreamEvents.result, (payload: unknown) => {
      // With buffering a server may send an array of results in one event.
      const results = (Array.isArray(payload) ? payload : [payload]).filter(isRecord);
      for (const r of results) if (typeof r.timestamp === "number" && r.timestamp > newest.current) newest.current = r.timestamp;
      handlers.current.onResults(results);
    });
    socket.on(StreamEvents.alert, (payload: unknown) => {
      if (isRecord(payload) && typeof payload.prb_id === "number") handlers.current.onAlert(payload as unknown as AlertEvent);
    });
    socket.on(StreamEvents.replayFinished, (payload: unknown) => {
      // The live subscription's catch-up reached the present: it goes on live, nothing to show.
      if (mode.current === "live") return;
      const count = isRecord(payload) && typeof payload.count === "number" ? payload.count : 0;
      setReplayed(count);
      const handedOver = isRecord(payload) && payload.live === true;
      if (handedOver) {
        // The replay's subscription goes on live; a reconnection catches up and subscribes live.
        mode.current = "live";
        wanted.current = liveParams();
        setState("subscribed");
      } else if (live) {
        mode.current = "live";
        wanted.current = liveParams();
        subscribe(socket, wanted.current);
      } else {
        mode.current = "none";
        wanted.current = null;
        active.current = null;
        setState("replayed");
      }
    });
    return socket;
  };

  useEffect(() => {
    if (live) {
      mode.current = "live";
      wanted.current = liveParams();
      void connect();
    }
    return () => {
      void socketRef.current?.then((socket) => socket.disconnect());
      socketRef.current = null;
    };
  }, [connect, live, msmId]);

  const replay = useCallback(
    (request: ReplayRequest) => {
      handlers.current.onReplayStart();
      const params: Params = { stream_type: "result", msm: msmId, startTime: request.startTime, speed: request.speed };
      if (request.endTime !== null) params.endTime = request.endTime;
      const previous = active.current;
      active.current = null;
      mode.current = "replay";
      wanted.current = params;
      setReplayed(null);
      setProblem(null);
      setState("replaying");
      void connect().then((socket) => {
        if (!socket.connected) return; // the connect handler subscribes
        if (previous) socket.emit(StreamEvents.unsubscribe, previous);
        subscribe(socket, params);
      });
    },
    [connect, msmId],
  );

  return { state, problem, replayed, replay };
}
