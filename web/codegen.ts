import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed documents from the server's schema (docs/schema.graphql, kept true by a Rust test): a
// schema change that breaks a query breaks `tsc`. `documentMode: "string"` emits the query
// text itself, so the bundle needs no GraphQL parser.
const config: CodegenConfig = {
  schema: "../docs/schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: true,
  generates: {
    "src/gql/": {
      preset: "client",
      config: {
        documentMode: "string",
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: "string", NaiveDate: "string", JSON: "unknown" },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};
export default config;
