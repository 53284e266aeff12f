export * from "./definitions.js";
export * from "./resources.js";
export * from "./validation.js";
export * from "./status-check.js";
export * from "./webhooks.js";
