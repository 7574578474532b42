// Validate glTF/GLB files with the Khronos glTF-Validator; prints one JSON report per file.
// Usage: node validate.mjs FILE...   (exit status 1 when any file has errors)
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const validator = require("gltf-validator");

let failed = false;
for (const path of process.argv.slice(2)) {
  const report = await validator.validateBytes(new Uint8Array(await readFile(path)), {
    uri: path,
    maxIssues: 100,
    externalResourceFunction: () => Promise.reject(new Error("external resources are not allowed")),
  });
  failed ||= report.issues.numErrors > 0;
  console.log(JSON.stringify({ path, issues: report.issues, info: report.info }));
}
process.exit(failed ? 1 : 0);
