import { MeasurementStatusId } from "@probestream/types/status";
import { formatTime } from "../../../lib/format";
import styles from "./page.module.css";

const LIVE: readonly number[] = [MeasurementStatusId.Specified, MeasurementStatusId.Scheduled, MeasurementStatusId.Ongoing];

/** Statuses with results still to come: the page streams them live. */
export function isLiveStatus(status: number): boolean {
  return LIVE.includes(status);
}

function explanation(status: number, when: string, startTime: number | null): { tone: "info" | "bad"; text: string } | null {
  switch (status) {
    case MeasurementStatusId.Specified:
    case MeasurementStatusId.Scheduled:
      return {
        tone: "info",
        text: startTime && startTime * 1000 > Date.now()
          ? `Scheduled to start ${formatTime(startTime)}. Results appear here as probes send them.`
          : "Probes are being assigned. Results appear here as probes send them.",
      };
    case MeasurementStatusId.Stopped:
      return { tone: "info", text: `This measurement stopped${when}; no more results will come. Its stored results are below, and you can replay them.` };
    case MeasurementStatusId.ForcedToStop:
      return { tone: "bad", text: `The platform stopped this measurement${when} before its planned end (for example its probes went away or it ran over its limits). Its stored results are below.` };
    case MeasurementStatusId.NoSuitableProbes:
      return {
        tone: "bad",
        text: "No probe matched this measurement's probe selection, so it never ran and has no results. Create it again with a wider selection (another area, country, ASN or probes).",
      };
    case MeasurementStatusId.Failed:
      return { tone: "bad", text: `This measurement failed${when}: the platform could not schedule it. Whatever results it has are below.` };
    case MeasurementStatusId.Archived:
      return { tone: "info", text: `This measurement is archived${when}; its stored results are below.` };
    default:
      return null;
  }
}

/** Says in words what the status means for the results on this page. */
export function StatusNotice({ status, name, when, startTime }: { status: number; name: string; when: number | null; startTime: number | null }) {
  const notice = explanation(status, when === null ? "" : ` at ${formatTime(when)}`, startTime);
  if (!notice) return null;
  return (
    <p className={notice.tone === "bad" ? styles.noticeBad : styles.notice} role="status" data-testid="status-notice" data-status={status}>
      <strong>{name}.</strong> {notice.text}
    </p>
  );
}
