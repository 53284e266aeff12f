export * from "./net.js";
export * from "./redis-server.js";
export * from "./postgres-cluster.js";
export * from "./app-process.js";
export * from "./sender.js";
export * from "./subscribers.js";
export * from "./deployment.js";
export * from "./scenarios.js";
