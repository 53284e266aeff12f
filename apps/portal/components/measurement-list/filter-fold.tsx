"use client";

import { useState, type ReactNode } from "react";
import styles from "./measurement-list.module.css";

/**
 * On phones the filters beside the search fold behind a "Filters" button (open when one is set),
 * so the list starts on the first screen; on wider screens they always show.
 */
export function FilterFold({ active, children }: { active: number; children: ReactNode }) {
  const [open, setOpen] = useState(active > 0);
  return (
    <>
      <button
        type="button"
        className={`button button-secondary ${styles.foldButton}`}
        aria-expanded={open}
        aria-controls="list-more-filters"
        onClick={() => setOpen((o) => !o)}
      >
        Filters{active > 0 ? ` (${active})` : ""}
      </button>
      <div id="list-more-filters" className={styles.fold} data-open={open}>
        {children}
      </div>
    </>
  );
}
