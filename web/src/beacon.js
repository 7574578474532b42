// Cookie-free counting: a visit's events leave together in one beacon, with no identifier and a coarse device
// class only. They are sent once no new event has come for a few seconds, when MAX_EVENTS are waiting, or at
// once when the page is hidden or left (the last moments a page can rely on, per the Page Lifecycle guidance):
// a visit costs the radio one or two requests instead of one per event.
import { deviceClass } from "./environment.js";

const MAX_EVENTS = 20; // the server's limit for one beacon
const QUIET_MS = 5000;

export function createBeacon(url, site, language, quietMs = QUIET_MS) {
  const device = deviceClass(navigator.userAgent);
  const waiting = [];
  let timer = null;
  const flush = () => {
    clearTimeout(timer);
    timer = null;
    if (!waiting.length || !url || !navigator.sendBeacon) return;
    const body = JSON.stringify({ site, language, device, events: waiting.splice(0) });
    // A text/plain Blob keeps the beacon a "simple" request: no CORS preflight on any deployment.
    navigator.sendBeacon(url, new Blob([body], { type: "text/plain;charset=UTF-8" }));
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flush();
  });
  window.addEventListener("pagehide", flush);
  return (event, detail = "") => {
    waiting.push({ event, detail: String(detail).slice(0, 40) });
    clearTimeout(timer);
    if (waiting.length >= MAX_EVENTS) flush();
    else timer = setTimeout(flush, quietMs);
  };
}
