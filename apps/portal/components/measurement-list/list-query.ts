import { RESULT_TYPES } from "@probestream/types/results";
import { MeasurementStatus } from "@probestream/types/status";

/** Rows per page of the list. */
export const PAGE_SIZE = 25;

export const SORTS = [
  { value: "-id", label: "Newest first" },
  { value: "id", label: "Oldest first" },
  { value: "-last_result_time", label: "Latest result" },
  { value: "-result_count", label: "Most results" },
  { value: "type", label: "Type" },
  { value: "status", label: "Status" },
] as const;

export const STATUSES = Object.entries(MeasurementStatus).map(([id, name]) => ({ id: Number(id), name }));

/** The list's state, as the filter form and the pager put it in the page's URL (never a key). */
export interface ListQuery {
  q: string;
  type: string;
  status: string;
  visibility: "" | "public" | "private";
  mine: boolean;
  sort: string;
  page: number;
}

type SearchParams = Record<string, string | string[] | undefined>;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? "";

/** The list's state from the URL; values the form does not offer fall back to defaults. */
export function listQueryOf(params: SearchParams): ListQuery {
  const type = first(params.type);
  const status = first(params.status);
  const visibility = first(params.visibility);
  const sort = first(params.sort);
  const page = Number(first(params.page));
  return {
    q: first(params.q).trim().slice(0, 200),
    type: (RESULT_TYPES as readonly string[]).includes(type) ? type : "",
    status: STATUSES.some((s) => String(s.id) === status) ? status : "",
    visibility: visibility === "public" || visibility === "private" ? visibility : "",
    mine: first(params.mine) === "1",
    sort: SORTS.some((s) => s.value === sort) ? sort : SORTS[0].value,
    page: Number.isInteger(page) && page >= 1 && page <= 1_000_000 ? page : 1,
  };
}

/** The REST API query of the list: the same filters, RIPE Atlas names. */
export function apiParamsOf(q: ListQuery): Record<string, string | number | boolean | undefined> {
  return {
    search: q.q || undefined,
    type: q.type || undefined,
    status: q.status || undefined,
    is_public: q.visibility === "" ? undefined : q.visibility === "public",
    mine: q.mine || undefined,
    sort: q.sort,
    page: q.page,
    page_size: PAGE_SIZE,
  };
}

/** The page's own URL for a state (the pager's links). */
export function listHref(q: ListQuery, changes: Partial<ListQuery> = {}): string {
  const next = { ...q, ...changes };
  const search = new URLSearchParams();
  if (next.q) search.set("q", next.q);
  if (next.type) search.set("type", next.type);
  if (next.status) search.set("status", next.status);
  if (next.visibility) search.set("visibility", next.visibility);
  if (next.mine) search.set("mine", "1");
  if (next.sort !== SORTS[0].value) search.set("sort", next.sort);
  if (next.page > 1) search.set("page", String(next.page));
  const text = search.toString();
  return text ? `/?${text}` : "/";
}
