import { useEffect, useState } from "react";
import { io } from "socket.io-client";
import type { ProbeStatusEvent } from "@probestream/types";

export type StreamState = "connecting" | "subscribed" | "disconnected";

/** Enough recent changes to show; older ones are in the status history. */
const MAX_EVENTS = 200;

function isStatusEvent(value: unknown): value is ProbeStatusEvent {
  const v = value as Partial<ProbeStatusEvent> | null;
  return typeof v?.prb_id === "number" && (v.event === "connect" || v.event === "disconnect") && typeof v.timestamp === "number";
}

/**
 * Probes' connections and disconnections as they happen, newest first, from the stream's
 * `probestatus` subscription: of one probe (`prbId`) or of all.
 */
export function useProbeStatusStream(gatewayUrl: string, prbId?: number): { events: ProbeStatusEvent[]; state: StreamState } {
  const [events, setEvents] = useState<ProbeStatusEvent[]>([]);
  const [state, setState] = useState<StreamState>("connecting");

  useEffect(() => {
    const socket = io(gatewayUrl, { path: "/stream/socket.io" });
    const subscription = prbId === undefined ? { stream_type: "probestatus" } : { stream_type: "probestatus", prb: prbId };
    // A new connection has no subscriptions: subscribe again after every (re)connect.
    socket.on("connect", () => socket.emit("atlas_subscribe", subscription));
    socket.on("atlas_subscribed", () => setState("subscribed"));
    socket.on("disconnect", () => setState("disconnected"));
    socket.on("connect_error", () => setState("disconnected"));
    socket.on("atlas_probestatus", (payload: unknown) => {
      const fresh = (Array.isArray(payload) ? payload : [payload]).filter(isStatusEvent).reverse();
      if (fresh.length > 0) setEvents((shown) => [...fresh, ...shown].slice(0, MAX_EVENTS));
    });
    return () => {
      socket.disconnect();
    };
  }, [gatewayUrl, prbId]);

  return { events, state };
}

export const STREAM_STATE_LABELS: Record<StreamState, string> = {
  connecting: "connecting…",
  subscribed: "live",
  disconnected: "disconnected, retrying…",
};
