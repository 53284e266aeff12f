"use client";

import type { AlertReason, StatusCheckAnswer } from "@probestream/types/status-check";
import type { AlertEvent } from "@probestream/types/stream-events";
import styles from "./live.module.css";

/** The measurement's health: the global alert and each alerting probe's reasons. */
export interface Health {
  globalAlert: boolean;
  alerting: ReadonlyMap<number, AlertReason[]>;
}

export const NO_ALERTS: Health = { globalAlert: false, alerting: new Map() };

/** Health from a status check (the page's first render). */
export function healthOf(answer: StatusCheckAnswer | null): Health {
  if (!answer) return NO_ALERTS;
  const alerting = Object.entries(answer.probes).filter(([, p]) => p.alert).map(([prb, p]) => [Number(prb), p.alert_reasons ?? []] as const);
  return { globalAlert: answer.global_alert, alerting: new Map(alerting) };
}

/** Health after an alert event. */
export function withAlert(health: Health, event: AlertEvent): Health {
  const alerting = new Map(health.alerting);
  if (event.alert) alerting.set(event.prb_id, event.alert_reasons ?? []);
  else alerting.delete(event.prb_id);
  return { globalAlert: event.global_alert, alerting };
}

/** Probes named in the line; the rest are counted. */
const NAMED = 8;

export function HealthLine({ health }: { health: Health }) {
  const probes = [...health.alerting.entries()].sort(([a], [b]) => a - b);
  const named = probes.slice(0, NAMED).map(([prb, reasons]) => `${prb} (${reasons.join(", ")})`);
  const more = probes.length - named.length;
  return (
    <p
      className={`${styles.health} ${health.globalAlert ? styles.globalAlert : ""}`}
      data-testid="health"
      data-global-alert={health.globalAlert}
      data-alerting={probes.length}
      role="status"
    >
      <strong>{health.globalAlert ? "Global alert" : "No global alert"}</strong>
      {" · "}
      {probes.length === 0 ? "no probe alerts" : `${probes.length} probe${probes.length === 1 ? "" : "s"} alerting: ${named.join(", ")}${more > 0 ? ` and ${more} more` : ""}`}
      {" · "}
      <span className={styles.note}>status check with RIPE&apos;s defaults</span>
    </p>
  );
}
