import { API_RIGHT_DESCRIPTIONS, API_RIGHTS, type ApiKey } from "@probestream/types";
import type { Metadata } from "next";
import Link from "next/link";
import { api, signedInKey } from "../../lib/api";
import { formatTime } from "../../lib/format";
import { revokeKey } from "./actions";
import { CreateKeyForm } from "./create-key-form";
import styles from "./keys.module.css";
import { WebhooksSection } from "./webhooks-section";

export const metadata: Metadata = { title: "API keys" };
export const dynamic = "force-dynamic";

/** The page size the API allows at most: a user's keys are few. */
const KEYS_PAGE_SIZE = 500;

export default async function KeysPage() {
  const current = await signedInKey();
  if (!current) {
    return (
      <>
        <h1>API keys</h1>
        <p className="notice">
          <Link href="/session?next=%2Fkeys">Sign in with an API key</Link> to see your keys, create keys and revoke them.
        </p>
      </>
    );
  }
  const answer = await api<{ results: ApiKey[] }>(`/api/v2/keys/?page_size=${KEYS_PAGE_SIZE}`);
  const keys = answer.status === 200 ? answer.body.results : [];
  const mayManage = current.rights.includes("keys:manage");
  return (
    <>
      <h1>API keys</h1>
      <p>
        Keys of <strong>{current.user}</strong>. You are signed in with key {current.id}
        {current.label ? ` (“${current.label}”)` : ""}.{" "}
        {mayManage
          ? "It has keys:manage, so it may revoke any of these keys."
          : "It lacks keys:manage, so it may revoke only itself."}
      </p>
      <div className="table-scroll">
        <table className={`data-table ${styles.keys}`} data-testid="keys">
          <caption className="sr-only">Your active keys</caption>
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Label</th>
              <th scope="col">Rights</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => {
              const isCurrent = k.id === current.id;
              return (
                <tr key={k.id} data-testid="key-row" data-key-id={k.id}>
                  <td data-label="ID">
                    {k.id}
                    {isCurrent ? <span className={styles.current}> this key</span> : null}
                  </td>
                  <td data-label="Label">{k.label || <span className="muted">(none)</span>}</td>
                  <td data-label="Rights">
                    {k.rights.length === 0 ? (
                      <span className="muted">read public data only</span>
                    ) : (
                      <ul className={styles.rightList}>
                        {k.rights.map((r) => (
                          <li key={r}>
                            <code>{r}</code>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td data-label="Created" className="mono nowrap">{formatTime(k.created_at)}</td>
                  <td data-label="Actions">
                    {isCurrent || mayManage ? (
                      <form action={revokeKey}>
                        <input type="hidden" name="id" value={k.id} />
                        <button type="submit" className="button button-danger" aria-label={`Revoke key ${k.id}${isCurrent ? " (this key: signs you out)" : ""}`}>
                          Revoke
                        </button>
                      </form>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <CreateKeyForm
        choices={API_RIGHTS.map((right) => ({ right, description: API_RIGHT_DESCRIPTIONS[right], held: current.rights.includes(right) }))}
      />
      <WebhooksSection mayManage={current.rights.includes("webhooks:manage")} />
    </>
  );
}
