import { STREAM_STATE_LABELS, type StreamState } from "./use-probe-status-stream";
import styles from "./probes.module.css";

/** Whether status changes are arriving: a dot and a word (not colour alone). */
export function StreamIndicator({ state }: { state: StreamState }) {
  return (
    <span className={styles.stream} data-testid="probe-stream" data-state={state} role="status">
      <span className={`${styles.dot} ${styles[`dot-${state}`]}`} aria-hidden="true" />
      Status {STREAM_STATE_LABELS[state]}
    </span>
  );
}
