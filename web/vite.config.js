// Builds the viewer into Flask's static folder; Flask reads .vite/manifest.json to find the hashed entry.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { defineConfig } from "vite";

const threeLibs = fileURLToPath(new URL("node_modules/three/examples/jsm/libs", import.meta.url));

/** Copies three's Draco decoder and lists every built file with its size for "save for offline". */
function vendoredFiles() {
  return {
    name: "hue-vendored-files",
    generateBundle(_options, bundle) {
      for (const name of ["draco_decoder.wasm", "draco_wasm_wrapper.js"]) {
        this.emitFile({ type: "asset", fileName: `draco/${name}`, source: readFileSync(join(threeLibs, "draco", name)) });
      }
      // model-viewer loads this URL as a classic script before it uses the MeshoptDecoder it imports from three,
      // so an empty script is enough: the decoder itself is already in the bundle.
      this.emitFile({ type: "asset", fileName: "meshopt-ready.js", source: "/* decoder bundled */\n" });
    },
    // Sizes are read from disk: Vite still rewrites chunks (preload helper) after generateBundle.
    writeBundle(options, bundle) {
      const files = Object.keys(bundle)
        .filter((name) => !name.startsWith(".vite/"))
        .sort()
        .map((name) => ({ path: name, bytes: statSync(join(options.dir, name)).size }));
      writeFileSync(join(options.dir, "offline-files.json"), JSON.stringify({ files }));
    },
  };
}

export default defineConfig({
  base: "./",
  publicDir: "public",
  resolve: { dedupe: ["three"] },
  plugins: [vendoredFiles()],
  build: {
    outDir: "../ar_service/static/viewer",
    emptyOutDir: true,
    manifest: true,
    target: "es2020",
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
    // The AR runtime (MindAR + tfjs) is one ~1 MB chunk by nature; it loads only when AR starts.
    chunkSizeWarningLimit: 1100,
    rollupOptions: {
      input: { viewer: "src/main.js" },
      output: {
        manualChunks(id) {
          if (id.includes("node_modules/three/")) return "three";
          if (id.includes("node_modules/mind-ar/")) return "mindar";
          return undefined;
        },
      },
    },
  },
});
