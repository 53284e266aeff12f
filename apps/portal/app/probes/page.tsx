import type { Metadata } from "next";
import Link from "next/link";
import { ProbeStatusId } from "@probestream/types/status";
import { api } from "../../lib/api";
import { formatCount } from "../../lib/format";
import { gatewayUrlForRequest } from "../../lib/gateway-url";
import { parametersAtFault, type ApiErrorAnswer, type ApiPage, type ProbePageAnswer } from "./probe-api";
import { ProbeDirectory, type MappedProbe } from "./probe-directory";
import { probeStatusName } from "./probe-status";
import styles from "./probes.module.css";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Probes" };

const PAGE_SIZE = 100;
/** The map shows every matching probe up to the API's largest page, with the fields it draws. */
const MAP_QUERY = { page_size: "500", fields: "geometry,status,country_code,asn_v4,asn_v6" };
/** The directory's filters: the API's own parameter names, so a filtered page's URL reads like an API call. */
const FILTERS = ["country_code", "asn", "status", "tags"] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

interface Props {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

function first(value: string | string[] | undefined): string | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  return text ? text : undefined;
}

/** The query string of a page of the directory (and, with `extra` parameters, of the API calls behind it). */
function search(filters: Filters, page: number, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams(extra);
  for (const name of FILTERS) if (filters[name]) params.set(name, filters[name]);
  if (page > 1) params.set("page", String(page));
  const text = params.toString();
  return text ? `?${text}` : "";
}

function Field({ name, label, hint, fault, children }: { name: string; label: string; hint?: string; fault?: string; children: React.ReactNode }) {
  return (
    <div className={styles.field}>
      <label htmlFor={`filter-${name}`}>{label}</label>
      {children}
      {hint && !fault && <span className={styles.hint} id={`filter-${name}-hint`}>{hint}</span>}
      {fault && (
        <span className={styles.fault} id={`filter-${name}-error`} data-testid={`fault-${name}`}>
          {fault}
        </span>
      )}
    </div>
  );
}

export default async function ProbesPage({ searchParams }: Props) {
  const params = await searchParams;
  const filters: Filters = Object.fromEntries(FILTERS.map((name) => [name, first(params[name])]));
  const filtered = FILTERS.some((name) => filters[name]);
  const page = Math.max(1, Math.min(Math.floor(Number(first(params.page) ?? 1)) || 1, 1_000_000));
  const [answer, mapAnswer, gatewayUrl] = await Promise.all([
    api<ProbePageAnswer & ApiErrorAnswer>(`/api/v2/probes/${search(filters, page, { page_size: String(PAGE_SIZE) })}`),
    api<ApiPage<MappedProbe>>(`/api/v2/probes/${search(filters, 1, MAP_QUERY)}`),
    gatewayUrlForRequest(),
  ]);
  const ok = answer.status === 200;
  const faults = ok ? new Map<string, string>() : parametersAtFault(answer.body);
  const faultOf = (name: string) => faults.get(name);
  const described = (name: string, hint: boolean) => (faultOf(name) ? `filter-${name}-error` : hint ? `filter-${name}-hint` : undefined);
  const pages = ok ? Math.max(1, Math.ceil(answer.body.count / PAGE_SIZE)) : 1;

  return (
    <>
      <h1>Probes</h1>
      <form className={styles.filters} method="get" action="/probes" aria-label="Filter probes">
        <Field name="country_code" label="Country" hint="Two letters, e.g. NL" fault={faultOf("country_code")}>
          <input
            id="filter-country_code"
            name="country_code"
            defaultValue={filters.country_code}
            maxLength={2}
            size={4}
            autoComplete="off"
            aria-invalid={faultOf("country_code") ? true : undefined}
            aria-describedby={described("country_code", true)}
          />
        </Field>
        <Field name="asn" label="ASN" hint="IPv4 or IPv6, e.g. 3333" fault={faultOf("asn")}>
          <input
            id="filter-asn"
            name="asn"
            inputMode="numeric"
            defaultValue={filters.asn}
            size={10}
            autoComplete="off"
            aria-invalid={faultOf("asn") ? true : undefined}
            aria-describedby={described("asn", true)}
          />
        </Field>
        <Field name="status" label="Status" fault={faultOf("status")}>
          <select id="filter-status" name="status" defaultValue={filters.status ?? ""} aria-describedby={described("status", false)}>
            <option value="">Any</option>
            {Object.values(ProbeStatusId).map((id) => (
              <option key={id} value={id}>
                {probeStatusName(id)}
              </option>
            ))}
          </select>
        </Field>
        <Field name="tags" label="Tags" hint="Comma-separated, all of them" fault={faultOf("tags")}>
          <input
            id="filter-tags"
            name="tags"
            defaultValue={filters.tags}
            size={18}
            autoComplete="off"
            aria-invalid={faultOf("tags") ? true : undefined}
            aria-describedby={described("tags", true)}
          />
        </Field>
        <div className={styles.actions}>
          <button type="submit" className="button">
            Filter
          </button>
          {filtered && <Link href="/probes">Clear</Link>}
        </div>
      </form>

      {ok ? (
        <>
          <p className={styles.count} data-testid="probe-count" data-count={answer.body.count}>
            {formatCount(answer.body.count)} {answer.body.count === 1 ? "probe" : "probes"}
            {filtered ? " match" : " in the directory"}
            {pages > 1 && ` · page ${page} of ${formatCount(pages)}`}
          </p>
          <ProbeDirectory
            probes={answer.body.results}
            mapped={mapAnswer.status === 200 ? mapAnswer.body.results : []}
            matching={answer.body.count}
            gatewayUrl={gatewayUrl}
          />
          {pages > 1 && (
            <nav className={styles.pager} aria-label="Pages">
              {page > 1 ? <Link href={`/probes${search(filters, page - 1)}`}>← Previous</Link> : <span />}
              {page < pages && <Link href={`/probes${search(filters, page + 1)}`}>Next →</Link>}
            </nav>
          )}
        </>
      ) : (
        <p className="problem" role="alert">
          {answer.body.error?.detail ?? `The probe directory answered ${answer.status}.`}
        </p>
      )}
    </>
  );
}
