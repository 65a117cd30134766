import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The dashboard, built by `vite build ui` (the root is this folder) into dist/ui/, which the
 * server serves under /ui/ (src/http/ui-routes.ts). Nothing inline: the pages run under a CSP
 * without 'unsafe-inline'.
 */
export default defineConfig({
  base: "/ui/",
  plugins: [react()],
  build: {
    outDir: "../dist/ui",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2023",
  },
});
