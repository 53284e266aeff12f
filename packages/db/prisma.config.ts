import { defineConfig } from "prisma/config";

// Prisma only generates the typed client here; the schema is owned by the SQL migrations.
export default defineConfig({
  schema: "prisma/schema.prisma",
});
