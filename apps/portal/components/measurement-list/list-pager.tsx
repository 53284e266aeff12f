import Link from "next/link";
import { formatCount } from "../../lib/format";
import { listHref, PAGE_SIZE, type ListQuery } from "./list-query";
import styles from "./measurement-list.module.css";

/** Previous / next through the API's pages, and where in the whole list this page is. */
export function ListPager({ query, count, hasPrevious, hasNext }: { query: ListQuery; count: number; hasPrevious: boolean; hasNext: boolean }) {
  const from = (query.page - 1) * PAGE_SIZE + 1;
  const to = Math.min(query.page * PAGE_SIZE, count);
  return (
    <nav aria-label="Pages" className={styles.pager}>
      <p className={styles.range} data-testid="list-range">
        {count === 0 ? "No measurements" : `${formatCount(from)}–${formatCount(to)} of ${formatCount(count)}`}
      </p>
      <div className={styles.pagerLinks}>
        {hasPrevious ? (
          <Link href={listHref(query, { page: query.page - 1 })} rel="prev" className="button button-secondary" data-testid="page-previous">
            ← Previous
          </Link>
        ) : null}
        {hasNext ? (
          <Link href={listHref(query, { page: query.page + 1 })} rel="next" className="button button-secondary" data-testid="page-next">
            Next →
          </Link>
        ) : null}
      </div>
    </nav>
  );
}
