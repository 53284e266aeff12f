export { ingestPlugin, type IngestOptions } from "./plugin.js";
export { createIngestApp } from "./app.js";
export { PROBE_SOCKET_PATH } from "./probe-sessions.js";
