import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed documents from the server's schema (docs/schema.graphql, kept true by a Rust test): a
// schema change that breaks a query breaks `tsc`. `documentMode: "string"` emits the query
// text itself, so the bundle needs no GraphQL parser.
const output = {
  preset: "client",
  config: {
    documentMode: "string",
    useTypeImports: true,
    enumsAsTypes: true,
    scalars: { DateTime: "string", NaiveDate: "string", JSON: "unknown" },
  },
  presetConfig: { fragmentMasking: false },
} as const;

const config: CodegenConfig = {
  schema: "../docs/schema.graphql",
  ignoreNoDocuments: true,
  // Two outputs, so that the console's documents stay out of the portal's first-load chunk:
  // client-preset's graphql() keeps every document of its output in one map.
  generates: {
    "src/gql/": {
      ...output,
      documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*", "!src/console/**/*"],
    },
    "src/console/gql/": {
      ...output,
      documents: ["src/console/**/*.{ts,tsx}", "!src/console/gql/**/*"],
    },
  },
};
export default config;
