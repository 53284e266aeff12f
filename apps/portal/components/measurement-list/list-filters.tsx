import Link from "next/link";
import { RESULT_TYPES } from "@probestream/types/results";
import { FilterFold } from "./filter-fold";
import { SORTS, STATUSES, type ListQuery } from "./list-query";
import styles from "./measurement-list.module.css";

/** The search and filters: a plain GET form, so the state lives in the URL and works without script. */
export function ListFilters({ query, signedIn }: { query: ListQuery; signedIn: boolean }) {
  const active = [query.type, query.status, query.visibility, query.mine ? "mine" : ""].filter((v) => v !== "").length;
  return (
    <form method="get" action="/" role="search" aria-label="Measurements" className={styles.filters}>
      <div className={`${styles.field} ${styles.search}`}>
        <label htmlFor="list-q">Search</label>
        <input id="list-q" name="q" type="search" className="input" defaultValue={query.q} placeholder="id, description or target" />
      </div>
      <FilterFold active={active}>
        <div className={styles.field}>
          <label htmlFor="list-type">Type</label>
          <select id="list-type" name="type" className="input" defaultValue={query.type}>
            <option value="">Any</option>
            {RESULT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div className={styles.field}>
          <label htmlFor="list-status">Status</label>
          <select id="list-status" name="status" className="input" defaultValue={query.status}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        <div className={styles.field}>
          <label htmlFor="list-visibility">Visibility</label>
          <select id="list-visibility" name="visibility" className="input" defaultValue={query.visibility}>
            <option value="">Public and private</option>
            <option value="public">Public</option>
            <option value="private">Private</option>
          </select>
        </div>
        <div className={styles.field}>
          <label htmlFor="list-sort">Sort</label>
          <select id="list-sort" name="sort" className="input" defaultValue={query.sort}>
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div className={`${styles.field} ${styles.check}`}>
          <input id="list-mine" name="mine" type="checkbox" value="1" defaultChecked={query.mine} disabled={!signedIn} aria-describedby={signedIn ? undefined : "list-mine-hint"} />
          <label htmlFor="list-mine">Mine only</label>
          {signedIn ? null : (
            <span id="list-mine-hint" className="muted">
              (<Link href="/session">sign in</Link>)
            </span>
          )}
        </div>
      </FilterFold>
      <div className={styles.actions}>
        <button type="submit" className="button">
          Apply
        </button>
        <Link href="/" className="button button-secondary">
          Clear
        </Link>
      </div>
    </form>
  );
}
