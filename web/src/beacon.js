// Cookie-free counting: one small JSON beacon per event, no identifier, a coarse device class only.
import { deviceClass } from "./environment.js";

export function createBeacon(url, site, language) {
  const device = deviceClass(navigator.userAgent);
  return (event, detail = "") => {
    if (!url || !navigator.sendBeacon) return;
    const body = JSON.stringify({ site, event, language, device, detail: String(detail).slice(0, 40) });
    // A text/plain Blob keeps the beacon a "simple" request: no CORS preflight on any deployment.
    navigator.sendBeacon(url, new Blob([body], { type: "text/plain;charset=UTF-8" }));
  };
}
