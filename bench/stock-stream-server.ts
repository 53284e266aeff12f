/**
 * The stock socket.io baseline server (stream-harness.ts startStockServer) in a process of its own,
 * forked by benchmarks that measure a server's memory or run servers apart from their driver. With
 * STOCK_FEED_REDIS_URL and STOCK_FEED_CHANNEL it emits what that channel carries. It tells its
 * parent its URL, then serves until killed.
 */
import { startStockServer } from "./stream-harness.js";

const redisUrl = process.env.STOCK_FEED_REDIS_URL;
const channel = process.env.STOCK_FEED_CHANNEL;
const server = await startStockServer(redisUrl && channel ? { redisUrl, channel } : undefined);
process.send!({ url: server.url });
