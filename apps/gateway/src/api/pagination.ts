import type { FastifyRequest } from "fastify";

export interface PageWindow {
  page: number;
  pageSize: number;
  limit: number;
  offset: number;
}

export const MAX_PAGE_SIZE = 500;

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

export function integerList(list: string | undefined): number[] | undefined {
  return list?.split(",").map((s) => Number(s.trim()));
}

export function wordList(list: string | undefined): string[] | undefined {
  return list?.split(",").map((s) => s.trim()).filter((s) => s !== "");
}
