export * from "./database.js";
export * from "./probe-client.js";
export * from "./fixtures.js";
export * from "./api-keys.js";
export * from "./results.js";
export * from "./stream-clients.js";
export { freePort } from "./faults/net.js";
export * from "./rest-client.js";
export * from "./webhook-receiver.js";
