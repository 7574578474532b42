// Builds the viewer into Flask's static folder; Flask reads .vite/manifest.json to find the hashed entry.
import { createHash } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { brotliCompressSync, constants as zlib, gzipSync } from "node:zlib";
import { defineConfig } from "vite";

const threeLibs = fileURLToPath(new URL("node_modules/three/examples/jsm/libs", import.meta.url));

// model-viewer loads this URL as a classic script before it uses the MeshoptDecoder it imports from three,
// so an empty script is enough: the decoder itself is already in the bundle.
const MESHOPT_READY = "/* decoder bundled */\n";
const DRACO_FILES = ["draco_decoder.wasm", "draco_wasm_wrapper.js"];

/**
 * The vendored decoders live under a folder named for their content, like Vite's hashed chunks, so that every
 * built file but sw.js and offline-files.json can be cached as immutable.
 */
const vendorDir = (() => {
  const hash = createHash("sha256").update(MESHOPT_READY);
  for (const name of DRACO_FILES) hash.update(readFileSync(join(threeLibs, "draco", name)));
  return `vendor-${hash.digest("hex").slice(0, 10)}`;
})();

// Text-like files get .br and .gz siblings, compressed once at build time at the highest levels.
const COMPRESSIBLE = /\.(js|mjs|css|json|wasm|svg|html)$/;
const MIN_COMPRESS_BYTES = 1024;

function precompress(path) {
  const raw = readFileSync(path);
  if (raw.length < MIN_COMPRESS_BYTES) return;
  const br = brotliCompressSync(raw, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length },
  });
  const gz = gzipSync(raw, { level: 9 });
  if (br.length < raw.length) writeFileSync(`${path}.br`, br);
  if (gz.length < raw.length) writeFileSync(`${path}.gz`, gz);
}

/** Copies three's Draco decoder, precompresses text files and lists every built file for "save for offline". */
function vendoredFiles() {
  return {
    name: "hue-vendored-files",
    generateBundle() {
      for (const name of DRACO_FILES) {
        this.emitFile({ type: "asset", fileName: `${vendorDir}/draco/${name}`, source: readFileSync(join(threeLibs, "draco", name)) });
      }
      this.emitFile({ type: "asset", fileName: `${vendorDir}/meshopt-ready.js`, source: MESHOPT_READY });
    },
    // Sizes are read from disk: Vite still rewrites chunks (preload helper) after generateBundle.
    writeBundle(options, bundle) {
      const names = Object.keys(bundle).filter((name) => !name.startsWith(".vite/")).sort();
      const files = names.map((name) => ({ path: name, bytes: statSync(join(options.dir, name)).size }));
      writeFileSync(join(options.dir, "offline-files.json"), JSON.stringify({ files }));
      for (const name of [...names, "offline-files.json", "sw.js"]) {
        if (COMPRESSIBLE.test(name)) precompress(join(options.dir, name));
      }
    },
  };
}

export default defineConfig({
  base: "./",
  publicDir: "public",
  resolve: { dedupe: ["three"] },
  define: { __HUE_VENDOR_DIR__: JSON.stringify(vendorDir) },
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
