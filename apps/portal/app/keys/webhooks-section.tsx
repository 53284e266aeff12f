import type { Webhook } from "@probestream/types";
import { api } from "../../lib/api";
import { formatTime } from "../../lib/format";

const HEALTH: Record<Webhook["state"], string> = {
  active: "delivering",
  paused: "paused",
  failing: "failing: retries ran out; resume it with PATCH state=active",
};

/** The user's webhooks and their health, through the REST API as the signed-in key (it needs webhooks:manage). */
export async function WebhooksSection({ mayManage }: { mayManage: boolean }) {
  if (!mayManage) {
    return (
      <section aria-labelledby="webhooks-heading">
        <h2 id="webhooks-heading">Webhooks</h2>
        <p className="muted">This key lacks webhooks:manage: sign in with a key that has it to see your webhooks.</p>
      </section>
    );
  }
  const answer = await api<{ results: Webhook[] }>("/api/v2/webhooks/?page_size=500");
  const hooks = answer.status === 200 ? answer.body.results : [];
  return (
    <section aria-labelledby="webhooks-heading">
      <h2 id="webhooks-heading">Webhooks</h2>
      {answer.status !== 200 ? (
        <p className="notice">Webhooks could not be listed ({answer.status}).</p>
      ) : hooks.length === 0 ? (
        <p className="muted">
          No webhooks. Create one with <code>POST /api/v2/webhooks/</code> (see the API docs).
        </p>
      ) : (
        <div className="table-scroll">
          <table className="data-table" data-testid="webhooks">
            <caption className="sr-only">Your webhooks and their health</caption>
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">URL</th>
                <th scope="col">Subscription</th>
                <th scope="col">Health</th>
                <th scope="col">Last delivered</th>
              </tr>
            </thead>
            <tbody>
              {hooks.map((w) => (
                <tr key={w.id} data-testid="webhook-row" data-state={w.state}>
                  <td data-label="ID">{w.id}</td>
                  <td data-label="URL" className="mono">{w.url}</td>
                  <td data-label="Subscription" className="mono">{JSON.stringify(w.subscription)}</td>
                  <td data-label="Health">
                    {HEALTH[w.state]}
                    {w.last_error ? <div className="muted">last error: {w.last_error}</div> : null}
                  </td>
                  <td data-label="Last delivered" className="mono nowrap">
                    {w.last_success_at === null ? <span className="muted">never</span> : formatTime(w.last_success_at)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
