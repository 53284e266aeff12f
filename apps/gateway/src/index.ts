export { gatewayPlugin, type GatewayOptions } from "./plugin.js";
export { createGatewayApp } from "./app.js";
export { STREAM_SOCKET_PATH } from "./streaming/transports/socket-io.js";
export { PLAIN_STREAM_PATH } from "./streaming/transports/websocket.js";
export { DEFAULT_LIMITS, type StreamLimits } from "./streaming/stream-hub.js";
export { SecretBox, webhookOptionsFromEnv, verifySignature, signature, DEFAULT_WORKER_SETTINGS, type WorkerSettings } from "./webhooks/index.js";
export type { WebhookOptions } from "./webhooks/index.js";
