export * from "./errors.js";
export * from "./metrics.js";
export * from "./listen.js";
export * from "./cpu-priority.js";
export * from "./shutdown.js";
