export * from "./database.js";
export * from "./probe-client.js";
export * from "./fixtures.js";
