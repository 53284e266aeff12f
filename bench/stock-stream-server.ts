/**
 * The stock socket.io baseline server (stream-harness.ts startStockServer) in a process of its own,
 * forked by benchmarks that measure a server's memory. It tells its parent its URL, then serves
 * until killed.
 */
import { startStockServer } from "./stream-harness.js";

const server = await startStockServer();
process.send!({ url: server.url });
