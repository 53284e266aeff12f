import { HttpError } from "@probestream/service-kit";

/** What a resource's answers may hold, for `fields`, `optional_fields` and `sort`. */
export interface ResourceShape {
  /** Fields every object keeps, whatever `fields` asks (RIPE Atlas: `id` and `type`). */
  always: readonly string[];
  /** Every field name a client may ask for: default and optional ones. */
  known: ReadonlySet<string>;
  /** Fields shown only when asked for (`optional_fields`, or named in `fields`). */
  optional: readonly string[];
  /** Field names a list may be sorted by. */
  sortable: readonly string[];
}

/** Which fields an answer holds: `pick` null for the default ones, and the optional ones asked for. */
export interface Shaping {
  pick: ReadonlySet<string> | null;
  optional: ReadonlySet<string>;
}

export interface SortKey {
  field: string;
  descending: boolean;
}

const names = (list: string) => list.split(",").map((s) => s.trim()).filter((s) => s !== "");

function refuse(parameter: string, detail: string): never {
  throw new HttpError(400, `${parameter}: ${detail}`, [{ source: { pointer: `/querystring/${parameter}` }, detail }]);
}

function checked(parameter: "fields" | "optional_fields", list: string, allowed: ReadonlySet<string>): string[] {
  const asked = names(list);
  const unknown = asked.filter((n) => !allowed.has(n));
  if (unknown.length > 0) refuse(parameter, `unknown field${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`);
  return asked;
}

/**
 * RIPE Atlas's `fields` (only these, besides `id` and `type`; an empty one keeps only those) and
 * `optional_fields` (these besides the default ones). Unknown names are a 400 naming the parameter.
 */
export function shapingOf(q: { fields?: string; optional_fields?: string }, shape: ResourceShape): Shaping {
  const optionalNames = new Set(shape.optional);
  const extra = q.optional_fields === undefined ? [] : checked("optional_fields", q.optional_fields, optionalNames);
  if (q.fields === undefined) return { pick: null, optional: new Set(extra) };
  const listed = checked("fields", q.fields, shape.known);
  return {
    pick: new Set([...shape.always, ...listed, ...extra]),
    optional: new Set([...listed, ...extra].filter((n) => optionalNames.has(n))),
  };
}

/** The object with only the fields asked for. */
export function shaped<T extends object>(value: T, s: Shaping): Partial<T> {
  if (s.pick === null) return value;
  const pick = s.pick;
  return Object.fromEntries(Object.entries(value).filter(([k]) => pick.has(k))) as Partial<T>;
}

/** `sort=-start_time,id`: the keys, each a sortable field, `-` for descending; `fallback` without one. */
export function sortOf(value: string | undefined, shape: ResourceShape, fallback: string): SortKey[] {
  const keys = names(value ?? fallback).map((n) => ({ field: n.replace(/^-/, ""), descending: n.startsWith("-") }));
  const unknown = keys.filter((k) => !shape.sortable.includes(k.field));
  if (unknown.length > 0) {
    refuse("sort", `cannot sort by ${unknown.map((k) => k.field).join(", ")} (by: ${shape.sortable.join(", ")})`);
  }
  return keys;
}
