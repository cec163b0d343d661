import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

// The built files are embedded in the `dukcapil` binary (api/build.rs), which serves them with
// their precompressed siblings (scripts/compress.mjs). Hashed names under /assets/ are cached
// for ever; index.html is revalidated.
export default defineConfig({
  plugins: [preact()],
  build: {
    target: "es2020",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      "/graphql": { target: "http://127.0.0.1:8080", ws: true },
      "/uploads": "http://127.0.0.1:8080",
      "/files": "http://127.0.0.1:8080",
    },
  },
});
