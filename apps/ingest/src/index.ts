export { ingestPlugin, type IngestOptions } from "./plugin.js";
export { createIngestApp } from "./app.js";
