import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The bundle goes inside the Python package, so `pip install` carries it and a server needs no Node.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../src/leadflow/webui",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
  server: { proxy: { "/api": "http://127.0.0.1:8080" } },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
