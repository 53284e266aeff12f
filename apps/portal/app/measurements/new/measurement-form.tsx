"use client";

import { useActionState, useEffect, useRef, useState } from "react";
import type { FieldSpec, FormSpec, FormState } from "../../../lib/measurement-form";
import { createMeasurement } from "./actions";
import { Field, fieldId } from "./field";
import styles from "./new.module.css";

const TYPE_NAMES: Record<string, string> = {
  ping: "Ping", traceroute: "Traceroute", dns: "DNS", sslcert: "TLS certificate", ntp: "NTP", http: "HTTP",
};

/** The options shown first for each type (as RIPE Atlas's form does); the others are under "More options". */
const MAIN_OPTIONS: Record<string, string[]> = {
  ping: ["packets", "size", "packet_interval"],
  traceroute: ["protocol", "max_hops", "paris", "first_hop", "packets", "size", "port"],
  dns: ["query_class", "query_type", "query_argument", "use_probe_resolver", "protocol", "set_rd_bit", "set_do_bit"],
  sslcert: ["port", "hostname"],
  ntp: ["packets", "timeout"],
  http: ["method", "path", "query_string", "port", "header_bytes", "version"],
};

const INITIAL: FormState = { errors: {}, values: {}, submission: 0 };

/** The form; after a refused submission it is drawn again from what was sent, with the problems at their fields. */
export function MeasurementForm({ spec }: { spec: FormSpec }) {
  const [state, action, pending] = useActionState(createMeasurement, INITIAL);
  return <FormBody key={state.submission} spec={spec} state={state} action={action} pending={pending} />;
}

interface FormBodyProps {
  spec: FormSpec;
  state: FormState;
  action: (form: FormData) => void;
  pending: boolean;
}

function FormBody({ spec, state, action, pending }: FormBodyProps) {
  const { values, errors } = state;
  const [type, setType] = useState(values["definitions/0/type"] ?? "ping");
  const [timing, setTiming] = useState(values.timing ?? "oneoff");
  const [sourceType, setSourceType] = useState(values["probes/0/type"] ?? "area");
  const summary = useRef<HTMLDivElement>(null);
  const problems = Object.entries(errors);
  useEffect(() => {
    if (state.submission > 0) summary.current?.focus();
  }, [state.submission]);

  const typeSpec = spec.types.find((t) => t.type === type) ?? spec.types[0];
  if (!typeSpec) return null;
  const main = MAIN_OPTIONS[type] ?? [];
  const optionName = (field: FieldSpec) => field.name.slice("definitions/0/".length);
  const primary = typeSpec.options.filter((field) => main.includes(optionName(field)) || field.required);
  const more = typeSpec.options.filter((field) => !primary.includes(field));
  const source = spec.sources.find((s) => s.type === sourceType) ?? spec.sources[0];
  const field = (f: FieldSpec, label?: string) => <Field key={f.name} spec={f} value={values[f.name]} error={errors[f.name]} label={label} />;

  return (
    <form action={action} className={styles.form} data-testid="measurement-form">
      {state.message || problems.length > 0 ? (
        <div ref={summary} tabIndex={-1} role="alert" className={`notice notice-bad ${styles.summary}`} data-testid="form-problems">
          <p>{state.message ?? "The measurement was not created:"}</p>
          {problems.length > 0 ? (
            <ul>
              {problems.map(([name, detail]) => (
                <li key={name}>
                  <a href={`#${fieldId(name)}`}>{labelOf(spec, name)}</a>: {detail}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}

      <fieldset className={styles.section}>
        <legend>Type</legend>
        <div className={styles.types}>
          {spec.types.map((t) => (
            <label key={t.type} className={styles.typeChoice}>
              <input type="radio" name="definitions/0/type" value={t.type} checked={type === t.type} onChange={() => setType(t.type)} />
              <span>{TYPE_NAMES[t.type] ?? t.type}</span>
            </label>
          ))}
        </div>
      </fieldset>

      <fieldset className={styles.section}>
        <legend>What to measure</legend>
        <div className={styles.grid}>
          {field({ ...spec.common.target, required: typeSpec.targetRequired, hint: type === "dns" ? "The name server to ask (not needed with the probe's resolver)" : "Host name or IP address" })}
          {field(spec.common.af)}
          {field(spec.common.description)}
        </div>
        <Field spec={{ name: "definitions/0/is_public", label: "Public: anyone may see it and its results", required: false, kind: "boolean" }} value={values["definitions/0/is_public"] ?? (Object.keys(values).length ? undefined : "on")} error={errors["definitions/0/is_public"]} />
      </fieldset>

      <fieldset className={styles.section} data-testid="type-options">
        <legend>{TYPE_NAMES[type]} options</legend>
        <div className={styles.grid}>{primary.map((f) => field(f))}</div>
        {more.length > 0 ? (
          <details className={styles.more} open={more.some((f) => errors[f.name] !== undefined)}>
            <summary>More {TYPE_NAMES[type]} options</summary>
            <div className={styles.grid}>{more.map((f) => field(f))}</div>
          </details>
        ) : null}
      </fieldset>

      <fieldset className={styles.section}>
        <legend>Probes</legend>
        <div className={styles.grid}>
          <div className={styles.field}>
            <label htmlFor={fieldId("probes/0/type")}>Select probes by</label>
            <select id={fieldId("probes/0/type")} name="probes/0/type" className={`input ${styles.control}`} value={sourceType} onChange={(event) => setSourceType(event.target.value)}>
              {spec.sources.map((s) => (
                <option key={s.type} value={s.type}>
                  {s.label}
                </option>
              ))}
            </select>
          </div>
          {source ? <Field key={source.type} spec={source.value} value={values["probes/0/type"] === source.type ? values["probes/0/value"] : undefined} error={errors["probes/0/value"]} /> : null}
          {field(spec.requested)}
        </div>
        <details className={styles.more} open={Boolean(errors["probes/0/tags"] || values["probes/0/tags/include"] || values["probes/0/tags/exclude"])}>
          <summary>Probe tags</summary>
          <div className={styles.grid}>
            {field({ name: "probes/0/tags/include", label: "Only probes with all of these tags", hint: "Comma-separated, e.g. system-ipv4-works", required: false, kind: "text" })}
            {field({ name: "probes/0/tags/exclude", label: "No probes with any of these tags", hint: "Comma-separated", required: false, kind: "text" })}
          </div>
          {errors["probes/0/tags"] ? <p className={styles.error}>{errors["probes/0/tags"]}</p> : null}
        </details>
      </fieldset>

      <fieldset className={styles.section}>
        <legend>When</legend>
        <div className={styles.types}>
          <label className={styles.typeChoice}>
            <input type="radio" name="timing" value="oneoff" checked={timing === "oneoff"} onChange={() => setTiming("oneoff")} />
            <span>Once</span>
          </label>
          <label className={styles.typeChoice}>
            <input type="radio" name="timing" value="periodic" checked={timing === "periodic"} onChange={() => setTiming("periodic")} />
            <span>Periodically</span>
          </label>
        </div>
        <div className={styles.grid}>
          {timing === "periodic" ? (
            <>
              {field({ ...spec.common.interval, label: "Interval (seconds)" })}
              {field({ ...spec.common.spread, label: "Spread (seconds)" })}
            </>
          ) : null}
          {field({ name: "start_time", label: "Start (UTC)", hint: "Empty: as soon as possible", required: false, kind: "datetime" })}
          {field({ name: "stop_time", label: "Stop (UTC)", hint: timing === "oneoff" ? "Empty: an hour after the start at the latest" : "Empty: until stopped", required: false, kind: "datetime" })}
        </div>
      </fieldset>

      <div className={styles.actions}>
        <button type="submit" className="button" disabled={pending} data-testid="create-measurement">
          {pending ? "Creating…" : "Create measurement"}
        </button>
      </div>
    </form>
  );
}

function labelOf(spec: FormSpec, name: string): string {
  const all = [...Object.values(spec.common), spec.requested, ...spec.types.flatMap((t) => t.options)];
  const known = all.find((f) => f.name === name)?.label;
  if (known) return known;
  if (name === "probes/0/value") return "Probes";
  if (name === "start_time") return "Start";
  if (name === "stop_time") return "Stop";
  return name;
}
