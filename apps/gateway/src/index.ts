export { gatewayPlugin, type GatewayOptions } from "./plugin.js";
export { createGatewayApp } from "./app.js";
export { STREAM_SOCKET_PATH } from "./streaming/stream-server.js";
