import { API_RIGHT_DESCRIPTIONS, API_RIGHTS } from "@probestream/types";
import type { Metadata } from "next";
import Link from "next/link";
import { gatewayUrlForRequest } from "../../lib/gateway-url";
import styles from "./docs.module.css";

export const metadata: Metadata = { title: "Docs" };

export default async function DocsPage() {
  const gateway = await gatewayUrlForRequest();
  return (
    <article className={styles.doc}>
      <h1>Docs</h1>
      <p>probestream speaks RIPE Atlas’s REST API v2 and streaming protocol: tools written for RIPE Atlas work by changing the host.</p>
      <ul className={styles.cards}>
        <li className={styles.card}>
          <h2>
            <a href={`${gateway}/api/v2/docs/`}>REST API reference</a>
          </h2>
          <p>Measurements, probes, results, keys: every endpoint with its parameters and an example answer.</p>
        </li>
        <li className={styles.card}>
          <h2>
            <Link href="/docs/streaming">Streaming protocol</Link>
          </h2>
          <p>Events, subscription parameters and filters, socket.io / WebSocket / HTTP, replay and resume.</p>
        </li>
        <li className={styles.card}>
          <h2>
            <a href={`${gateway}/api/v2/openapi.json`}>OpenAPI document</a>
          </h2>
          <p>The machine-readable API description, for client generators.</p>
        </li>
      </ul>
      <h2 id="keys">API keys and rights</h2>
      <p>
        Give a key as <code>Authorization: Key YOUR_KEY</code> or <code>?key=YOUR_KEY</code>. Without a key you see public data. The
        first key of a user comes from the command line where probestream runs:
      </p>
      <pre className={styles.code}>npm run keys:create -- --user you --rights all</pre>
      <p>
        Then <Link href="/session">sign in</Link> with it, and make keys with fewer rights on <Link href="/keys">API keys</Link>.
      </p>
      <div className="table-scroll">
        <table className="data-table">
          <caption className={styles.caption}>Rights a key may carry</caption>
          <thead>
            <tr>
              <th scope="col">Right</th>
              <th scope="col">Allows</th>
            </tr>
          </thead>
          <tbody>
            {API_RIGHTS.map((r) => (
              <tr key={r}>
                <td>
                  <code>{r}</code>
                </td>
                <td>{API_RIGHT_DESCRIPTIONS[r]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </article>
  );
}
