export * from "./results/index.js";
export * from "./probe-status.js";
export * from "./stream.js";
export * from "./ingest.js";
export * from "./validate.js";
export * from "./measurement-event.js";
export * from "./api/index.js";
export * from "./controller.js";
