import type { ReactNode } from "react";
import styles from "./views.module.css";

/**
 * A table that scrolls sideways on a narrow screen instead of widening the page; the region is
 * named and focusable so that keyboard users can scroll it too.
 */
export function ScrollTable({ label, children, ...data }: { label: string; children: ReactNode } & Record<`data-${string}`, string | number>) {
  return (
    <div className={styles.scroll} tabIndex={0} role="region" aria-label={label}>
      <table className={styles.table} {...data}>
        {children}
      </table>
    </div>
  );
}
