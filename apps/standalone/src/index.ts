export { startPlatform, type Platform, type PlatformOptions } from "./platform.js";
export { startDemo, DEMO_MEASUREMENTS, type DemoMeasurement, type DemoOptions } from "./demo.js";
