import type { FastifyRequest } from "fastify";
import { badParameter } from "@probestream/service-kit";

export interface PageWindow {
  page: number;
  pageSize: number;
  limit: number;
  offset: number;
}

const MAX_PAGE_SIZE = 500;

export function pageWindow(query: { page?: number; page_size?: number }): PageWindow {
  const page = query.page ?? 1;
  const pageSize = Math.min(query.page_size ?? 50, MAX_PAGE_SIZE);
  return { page, pageSize, limit: pageSize, offset: (page - 1) * pageSize };
}

/** The URL of this request on another page, under the public base URL. */
function pageUrl(request: FastifyRequest, page: number): string {
  const url = new URL(`${request.baseUrl}${request.url}`);
  url.searchParams.set("page", String(page));
  return url.toString();
}

/** `{count, next, previous, results}` with links that keep the request's filters. */
export function pageOf<T>(request: FastifyRequest, w: PageWindow, count: number, results: T[]) {
  return {
    count,
    next: w.offset + results.length < count ? pageUrl(request, w.page + 1) : null,
    previous: w.page > 1 ? pageUrl(request, Math.min(w.page - 1, Math.max(1, Math.ceil(count / w.pageSize)))) : null,
    results,
  };
}

/** The largest id (and other 4-byte integer) a column holds. */
const INT4_MAX = 2_147_483_647;
/** The largest status id (a 2-byte column). */
export const SMALLINT_MAX = 32_767;

/**
 * A comma-separated list of integers (its form checked by the schema), each at most `max`
 * (the column's range): a 400 names the parameter otherwise.
 */
export function integerList(parameter: string, list: string | undefined, max = INT4_MAX): number[] | undefined {
  const values = list?.split(",").map((s) => Number(s.trim()));
  if (values?.some((n) => n > max)) throw badParameter(parameter, `each value must be at most ${max}`);
  return values;
}

export function wordList(list: string | undefined): string[] | undefined {
  return list?.split(",").map((s) => s.trim()).filter((s) => s !== "");
}
