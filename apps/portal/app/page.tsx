import type { Measurement } from "@probestream/types";
import Link from "next/link";
import { ListFilters } from "../components/measurement-list/list-filters";
import { ListPager } from "../components/measurement-list/list-pager";
import { apiParamsOf, listQueryOf } from "../components/measurement-list/list-query";
import { MeasurementTable } from "../components/measurement-list/measurement-table";
import type { MeasurementRow } from "../components/measurement-list/row";
import { api, queryString, signedInKey } from "../lib/api";

export const dynamic = "force-dynamic";

interface ListPage {
  count: number;
  next: string | null;
  previous: string | null;
  results: Measurement[];
}

interface ApiErrorBody {
  error?: { detail?: string };
}

/** Only what the table shows goes to the browser. */
function rowOf(m: Measurement): MeasurementRow {
  return {
    id: m.id,
    type: m.type,
    description: m.description,
    target: m.target,
    status: { id: m.status.id, name: m.status.name },
    is_public: m.is_public,
    result_count: m.result_count,
    last_result_time: m.last_result_time,
  };
}

/** The measurement list, exactly as the REST API lists it for this visitor (anonymous or their key). */
export default async function MeasurementsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const query = listQueryOf(await searchParams);
  const key = await signedInKey();
  const mineWithoutKey = query.mine && !key;
  const answer = mineWithoutKey
    ? null
    : await api<ListPage & ApiErrorBody>(`/api/v2/measurements/${queryString(apiParamsOf(query))}`);
  const page = answer?.status === 200 ? answer.body : null;
  return (
    <>
      <div className="page-title-row">
        <h1>Measurements</h1>
        <Link href="/measurements/new" className="button">
          New measurement
        </Link>
      </div>
      <ListFilters query={query} signedIn={key !== undefined} />
      {mineWithoutKey ? (
        <p className="notice notice-warn">
          <Link href="/session?next=%2F%3Fmine%3D1">Sign in</Link> to list your own measurements.
        </p>
      ) : page === null ? (
        <p className="notice notice-bad" role="alert">
          The API could not list measurements ({answer?.status}
          {answer?.body?.error?.detail ? `: ${answer.body.error.detail}` : ""}).
        </p>
      ) : page.results.length === 0 ? (
        <p className="muted" data-testid="list-empty">
          {query.page > 1 ? "No measurements on this page." : "No measurements match."}
        </p>
      ) : (
        <MeasurementTable key={JSON.stringify(query)} rows={page.results.map(rowOf)} />
      )}
      {page ? <ListPager query={query} count={page.count} hasPrevious={page.previous !== null} hasNext={page.next !== null} /> : null}
    </>
  );
}
