export { startAgent, localAddresses, DEFAULT_FIRMWARE, type Agent, type AgentOptions } from "./agent.js";
export { ControllerSession, type ControllerSessionOptions } from "./controller-session.js";
export { Scheduler, parseAssignments, type Assignment, type SchedulerOptions } from "./scheduler.js";
export { Sender, type SenderOptions, type SenderStats } from "./sender.js";
export { Spool, type SpoolBatch, type SpoolOptions } from "./spool.js";
export { stderrLogger, silentLogger, type Logger } from "./log.js";
export * from "./measurements/index.js";
