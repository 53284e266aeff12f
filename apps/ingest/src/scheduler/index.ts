export { MeasurementScheduler } from "./measurement-scheduler.js";
