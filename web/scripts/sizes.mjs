// Prints raw and gzip -9 sizes of every built file, and the initial download (entry JS + CSS).
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

const root = new URL("../../ar_service/static/viewer/", import.meta.url).pathname;
const walk = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? (name === ".vite" ? [] : walk(path)) : [path];
});
const manifest = JSON.parse(readFileSync(join(root, ".vite/manifest.json"), "utf8"));
const entry = Object.values(manifest).find((chunk) => chunk.isEntry);
const initial = new Set([entry.file, ...(entry.css || [])]);
let initialGzip = 0;
console.log("file".padEnd(44), "raw KB".padStart(9), "gzip KB".padStart(9));
for (const path of walk(root).sort()) {
  const name = relative(root, path);
  const bytes = readFileSync(path);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  if (initial.has(name)) initialGzip += gzip;
  console.log(`${name}${initial.has(name) ? " *" : ""}`.padEnd(44), (bytes.length / 1024).toFixed(1).padStart(9),
    (gzip / 1024).toFixed(1).padStart(9));
}
console.log(`initial (* entry JS + CSS) gzip: ${(initialGzip / 1024).toFixed(1)} KB`);
