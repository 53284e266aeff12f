export * from "./errors.js";
export * from "./metrics.js";
export * from "./listen.js";
