import { formatTime } from "../../lib/format";
import { probeStatusColor, probeStatusName, type ShownStatus } from "./probe-status";
import styles from "./probes.module.css";

export function StatusBadge({ status, withSince = false }: { status: ShownStatus; withSince?: boolean }) {
  return (
    <span className={styles.status} data-status={status.id}>
      <span className={styles.dot} style={{ background: probeStatusColor(status.id) }} aria-hidden="true" />
      {probeStatusName(status.id)}
      {withSince && status.since !== null && <span className={styles.since}> since {formatTime(status.since)}</span>}
    </span>
  );
}
