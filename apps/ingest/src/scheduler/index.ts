export { MeasurementScheduler, ASSIGNMENTS_EVENT, type SchedulerOptions } from "./measurement-scheduler.js";
