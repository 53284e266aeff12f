export * from "./pool.js";
export * from "./result-writer.js";
export * from "./result-reader.js";
export * from "./migrate.js";
export * from "./catalog.js";
export * from "./prisma.js";
export * from "./embedded-postgres.js";
