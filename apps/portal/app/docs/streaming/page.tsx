import {
  AtlasError, MeasurementEvent, ProbeStatusEvent, STREAM_TYPES, StreamEvents, SubscriptionParams,
  type StreamEventName,
} from "@probestream/types";
import type { Metadata } from "next";
import Link from "next/link";
import { gatewayUrlForRequest } from "../../../lib/gateway-url";
import { describeSchema, type SchemaLike } from "./describe-schema";
import styles from "../docs.module.css";

export const metadata: Metadata = { title: "Streaming protocol" };

type ParameterName = keyof typeof SubscriptionParams.properties;

/**
 * What each subscription parameter does. The table lists the schema's parameters (the ones the
 * gateway accepts) with their value types from the schema; a parameter added to the schema without
 * a line here fails the type check, so the page cannot fall behind.
 */
const PARAMETERS: Record<ParameterName, string> = {
  stream_type: "What to stream: results (`atlas_result`), probe connections (`atlas_probestatus`), measurement changes (`atlas_metadata`) or a measurement's alerts (`atlas_alert`, with `msm` and the status check's parameters). Required, in one of its two spellings.",
  streamType: "The same as stream_type (the spelling of RIPE's WebSocket docs).",
  msm: "Only this measurement's results (or its metadata events).",
  prb: "Only this probe's results or status events.",
  type: "Only results of this type.",
  sourceAddress: "Results whose `from` or `src_addr` is this address.",
  sourcePrefix: "Results whose `from` or `src_addr` lies in this prefix (IPv4 or IPv6 CIDR).",
  destinationAddress: "Results whose `dst_addr` is this address.",
  destinationPrefix: "Results whose `dst_addr` lies in this prefix.",
  passThroughHost: "Traceroutes with a hop reply from this address.",
  passThroughPrefix: "Traceroutes with a hop reply from this prefix.",
  enrichProbes: "Probestatus streams: each event carries the probe's details as `probe`.",
  equalsTo: "Value filter: the field (a dotted path such as `result.rcode` reaches into objects) equals the value. From a query string: JSON text.",
  greaterThan: "Value filter: the field is a number greater than the value, e.g. `{\"avg\": 50}`.",
  lessThan: "Value filter: the field is a number less than the value.",
  buffering: "Results arrive as arrays of up to 100, at most 100 ms late: fewer frames for busy streams.",
  sendBacklog: "First the last 5 minutes of stored results, then `atlas_backlog_sent`, then live.",
  sendPositions: "Each result comes with its stream position (socket.io: a second argument; WebSocket and HTTP: a third array element `{\"position\": \"…\"}`), for resumeFrom.",
  startTime: "Replay: stored results from this time (Unix seconds), in timestamp order.",
  endTime: "Replay until this time, then `atlas_replay_finished`; without it, replay hands over to the live stream with no gap and no duplicate.",
  stopTime: "The same as endTime.",
  speed: "Replay pace as a multiple of real time (default 1; 0: as fast as the client reads).",
  resumeFrom: "A position the client last received: every result committed after it, then live. Not with startTime.",
  client: "A free-form client name, for the server's logs.",
  max_packet_loss: "Alert streams (as the status check): a probe alerts when its latest packet loss (percent) is above this; default 75.",
  show_all: "Alert streams: events carry `all` (the RTTs behind the state) for every probe, not only alerting ones.",
  permitted_total_alerts: "Alert streams: the global alert is on when more probes than this alert; default 0.",
  lookback: "Alert streams: how many of each probe's newest results the median RTT is taken over; default 1.",
  median_rtt_threshold: "Alert streams: a probe alerts when its latest RTT exceeds the median of the lookback by more than this (ms).",
  dns_rcodes: "Alert streams, DNS: response codes that do not alert, comma-separated; default NOERROR.",
  http_alert_status: "Alert streams, HTTP: a response status at or above this alerts; default 400.",
  cert_expiry_days: "Alert streams, sslcert: a certificate expiring in fewer days than this alerts; default 14.",
};

/** What each event is, in the order a client meets them. */
const EVENTS: Record<StreamEventName, { direction: "client → server" | "server → client"; meaning: string }> = {
  atlas_subscribe: { direction: "client → server", meaning: "Start a subscription; the payload is the parameters below. Several per connection." },
  atlas_unsubscribe: { direction: "client → server", meaning: "End the subscription with these same parameters." },
  atlas_subscribed: { direction: "server → client", meaning: "The subscription is active; echoes the parameters as sent." },
  atlas_unsubscribed: { direction: "server → client", meaning: "The subscription has ended." },
  atlas_result: { direction: "server → client", meaning: "A result, exactly as stored (or an array of them with buffering)." },
  atlas_probestatus: { direction: "server → client", meaning: "A probe connected or disconnected (fields below)." },
  atlas_metadata: { direction: "server → client", meaning: "A measurement was created, changed or stopped (fields below)." },
  atlas_error: { direction: "server → client", meaning: "A subscription was refused or a limit reached; the connection stays usable (fields below)." },
  atlas_backlog_sent: { direction: "server → client", meaning: "With sendBacklog: the stored backlog is out; live results follow." },
  atlas_replay_finished: { direction: "server → client", meaning: "A replay ended: `{count, …}`; with `live: true` the stream goes on live." },
  atlas_alert: {
    direction: "server → client",
    meaning: "Alert streams: a probe's alert state (or the global alert) changed: its status-check entry (`alert`, `alert_reasons`, `last`, `last_packet_loss`, `source`) with `msm_id`, `prb_id`, `global_alert`, `alerting_probes`. First one per probe alerting when subscribing.",
  },
};

/** Text with `code` spans, as the tables above write them. */
function withCode(text: string) {
  return text.split("`").map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}

/** The fields of a payload schema, with their types and descriptions. */
function PayloadFields({ schema, caption }: { schema: { properties: Record<string, SchemaLike>; required?: string[] }; caption: string }) {
  return (
    <div className="table-scroll">
      <table className="data-table">
        <caption className={styles.caption}>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Type</th>
            <th scope="col">Meaning</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(schema.properties).map(([name, field]) => (
            <tr key={name}>
              <td>
                <code>{name}</code>
                {schema.required?.includes(name) ? null : <span className="muted"> (optional)</span>}
              </td>
              <td>
                <code>{describeSchema(field)}</code>
              </td>
              <td>{field.description ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default async function StreamingDocsPage() {
  const gateway = await gatewayUrlForRequest();
  const parameters = SubscriptionParams.properties as Record<ParameterName, SchemaLike>;
  return (
    <article className={styles.doc}>
      <h1>Streaming protocol</h1>
      <p>
        Results reach subscribers the moment ingest commits them, over RIPE Atlas’s streaming protocol: clients written for RIPE
        Atlas work by changing the host. For stored results, measurements, probes and keys see the{" "}
        <a href={`${gateway}/api/v2/docs/`}>REST API reference</a>.
      </p>
      <nav aria-label="On this page" className={styles.toc}>
        <ul>
          <li><a href="#transports">Transports</a></li>
          <li><a href="#events">Events</a></li>
          <li><a href="#parameters">Subscription parameters</a></li>
          <li><a href="#replay">Replay and resume</a></li>
          <li><a href="#payloads">Event payloads</a></li>
          <li><a href="#access">Private measurements and limits</a></li>
        </ul>
      </nav>

      <h2 id="transports">Transports</h2>
      <p>One protocol on three transports, all on the gateway ({gateway}):</p>
      <h3>socket.io</h3>
      <p>
        Path <code>/stream/socket.io</code>; Engine.IO 4 clients and the v1/v2-era clients (cousteau, python-socketio). The browser
        client is served at <code>/socket.io.js</code>.
      </p>
      <pre className={styles.code}>{`<script src="${gateway}/socket.io.js"></script>
<script>
  const socket = io("${gateway}", { path: "/stream/socket.io", auth: { key: "YOUR_KEY" } });
  socket.on("atlas_result", (result) => console.log(result));
  socket.emit("atlas_subscribe", { stream_type: "result", msm: 1001 });
</script>`}</pre>
      <h3>WebSocket</h3>
      <p>
        <code>{gateway.replace(/^http/, "ws")}/stream/</code>: JSON arrays both ways, <code>{`["atlas_subscribe", {...}]`}</code> in,{" "}
        <code>{`["atlas_result", {...}]`}</code> out.
      </p>
      <pre className={styles.code}>{`const ws = new WebSocket("${gateway.replace(/^http/, "ws")}/stream/?key=YOUR_KEY");
ws.onopen = () => ws.send(JSON.stringify(["atlas_subscribe", { streamType: "result", msm: 1001 }]));
ws.onmessage = (m) => { const [event, payload] = JSON.parse(m.data); console.log(event, payload); };`}</pre>
      <h3>HTTP</h3>
      <p>
        <code>GET /stream/</code> with the parameters in the query string (value filters as JSON text): one JSON array per line,
        for as long as the client reads. One subscription per request.
      </p>
      <pre className={styles.code}>{`curl -N '${gateway}/stream/?streamType=result&msm=1001&sendPositions=true'`}</pre>

      <h2 id="events">Events</h2>
      <div className="table-scroll">
        <table className="data-table" data-testid="stream-events">
          <caption className={styles.caption}>Event names (socket.io events; the first element of WebSocket and HTTP arrays)</caption>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Direction</th>
              <th scope="col">Meaning</th>
            </tr>
          </thead>
          <tbody>
            {Object.values(StreamEvents).map((name) => (
              <tr key={name}>
                <td><code>{name}</code></td>
                <td className="nowrap">{EVENTS[name].direction}</td>
                <td>{withCode(EVENTS[name].meaning)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2 id="parameters">Subscription parameters</h2>
      <p>
        The payload of <code>atlas_subscribe</code> (or the HTTP query string). Stream types:{" "}
        {STREAM_TYPES.map((t, i) => (
          <span key={t}>
            {i > 0 ? ", " : ""}
            <code>{t}</code>
          </span>
        ))}
        . Unknown parameters are refused with <code>atlas_error</code> naming them, so a typo never widens a subscription.
      </p>
      <div className="table-scroll">
        <table className="data-table" data-testid="stream-parameters">
          <caption className={styles.caption}>Parameters of atlas_subscribe</caption>
          <thead>
            <tr>
              <th scope="col">Parameter</th>
              <th scope="col">Value</th>
              <th scope="col">Meaning</th>
            </tr>
          </thead>
          <tbody>
            {(Object.keys(parameters) as ParameterName[]).map((name) => (
              <tr key={name} data-parameter={name}>
                <td><code>{name}</code></td>
                <td><code>{describeSchema(parameters[name])}</code></td>
                <td>{withCode(PARAMETERS[name])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2 id="replay">Replay and resume</h2>
      <p>
        <strong>Replay</strong>: subscribe with <code>startTime</code> (and <code>endTime</code>, <code>speed</code>) to receive stored
        results in timestamp order at that pace. Without <code>endTime</code> the replay hands over to the live stream with no gap
        and no duplicate, then sends <code>atlas_replay_finished</code> with <code>live: true</code>.
      </p>
      <p>
        <strong>Resume</strong>: with <code>sendPositions: true</code> every result carries its position in the committed log (the
        same on every gateway). A client that reconnects subscribes with <code>resumeFrom</code> set to the last position it
        received and gets exactly what it missed, then live.
      </p>
      <pre className={styles.code}>{`socket.emit("atlas_subscribe", { stream_type: "result", msm: 1001, startTime: 1764547200, speed: 10 });
socket.emit("atlas_subscribe", { stream_type: "result", msm: 1001, resumeFrom: "8812000000004711" });`}</pre>

      <h2 id="payloads">Event payloads</h2>
      <p>
        <code>atlas_result</code> carries the result exactly as the probe sent it (RIPE Atlas’s result formats for ping,
        traceroute, DNS, sslcert, NTP and HTTP).
      </p>
      <PayloadFields schema={ProbeStatusEvent} caption="atlas_probestatus" />
      <PayloadFields schema={MeasurementEvent} caption="atlas_metadata" />
      <PayloadFields schema={AtlasError} caption="atlas_error" />

      <h2 id="access">Private measurements and limits</h2>
      <p>
        Private measurements stream only to a key of their owner with the right <code>results:read_private</code>: give it as{" "}
        <code>auth: {"{ key }"}</code> (socket.io), <code>?key=</code> or <code>Authorization: Key …</code> at the handshake. An
        unknown key is refused there. <Link href="/keys">Manage your keys</Link>.
      </p>
      <p>
        At most 64 subscriptions per connection; a client that falls more than 1 MiB behind is told (<code>atlas_error</code>{" "}
        with <code>code: &quot;slow_client&quot;</code>) and past 8 MiB disconnected, so a slow reader never slows others.
      </p>
    </article>
  );
}
