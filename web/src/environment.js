// What the device and browser can do: in-app browsers, coarse device class, network budget, camera.

const IN_APP = [
  ["zalo", /Zalo/i],
  ["messenger", /FBAN\/Messenger|FB_IAB\/Orca|MessengerForiOS|MessengerLite/i],
  ["facebook", /FBAN|FBAV|FB_IAB/],
  ["instagram", /Instagram/],
  ["line", /\bLine\//],
];

/** Name of the in-app browser (Zalo, Facebook, Messenger, Instagram, Line) or null for a real browser. */
export function inAppBrowser(userAgent) {
  const found = IN_APP.find(([, pattern]) => pattern.test(userAgent));
  return found ? found[0] : null;
}

export function osFamily(userAgent) {
  if (/iPhone|iPad|iPod/.test(userAgent) || (/Macintosh/.test(userAgent) && navigator.maxTouchPoints > 1)) return "ios";
  if (/Android/.test(userAgent)) return "android";
  if (/Windows/.test(userAgent)) return "windows";
  if (/Mac OS X/.test(userAgent)) return "macos";
  if (/Linux|CrOS/.test(userAgent)) return "linux";
  return "other";
}

/**
 * "mobile-android", "tablet-ios", "desktop-linux": coarse enough to identify nobody. The beacons carry it, and the
 * server counts it where it is one of its classes (ar_service/analytics.py DEVICE_CLASSES).
 */
export function deviceClass(userAgent) {
  const os = osFamily(userAgent);
  const tablet = /iPad|Tablet/i.test(userAgent) || (os === "android" && !/Mobile/.test(userAgent))
    || (os === "ios" && /Macintosh/.test(userAgent));
  const mobile = /Mobi|iPhone|iPod|Android/i.test(userAgent);
  return `${tablet ? "tablet" : mobile ? "mobile" : "desktop"}-${os}`;
}

/**
 * Chrome's intent URL for the current page (Android): opens it in Chrome, or the browser picker when Chrome is
 * absent (https://developer.chrome.com/docs/android/intents).
 */
export function chromeIntentUrl(location) {
  const scheme = location.protocol.replace(":", "");
  return `intent://${location.host}${location.pathname}${location.search}#Intent;scheme=${scheme};`
    + `package=com.android.chrome;S.browser_fallback_url=${encodeURIComponent(location.href)};end`;
}

/**
 * Bytes we may spend on a model without asking, from the Network Information API and Device Memory API.
 * Unknown values (Safari, Firefox) get a middle budget: the lightest model always loads, a heavy one only on
 * a good connection.
 */
export function modelBudget(nav) {
  const connection = nav.connection || {};
  if (connection.saveData) return 0;
  const memory = nav.deviceMemory ?? 4;
  let budget = 8 * 1048576;
  const type = connection.effectiveType;
  if (type === "slow-2g" || type === "2g") budget = 0;
  else if (type === "3g") budget = 2 * 1048576;
  if (typeof connection.downlink === "number" && connection.downlink > 0) {
    // About 8 s of download at the measured rate (Mbit/s → bytes).
    budget = Math.min(budget, (connection.downlink * 1e6 / 8) * 8);
  }
  if (memory <= 1) budget = Math.min(budget, 1048576);
  else if (memory <= 2) budget = Math.min(budget, 3 * 1048576);
  return budget;
}

/** Models from lightest to heaviest. */
export function modelsByWeight(models) {
  return [...models].sort((a, b) => a.bytes - b.bytes);
}

/** The heaviest model that fits the budget, never lighter than the lightest one. */
export function bestModel(models, budget) {
  const sorted = modelsByWeight(models);
  return sorted.filter((model) => model.bytes <= budget).pop() || sorted[0];
}

/** The model meant for AR ("ar" level) if it fits the budget, else the best that fits. */
export function arModel(models, budget) {
  const ar = models.find((model) => model.level === "ar");
  return ar && ar.bytes <= Math.max(budget, modelsByWeight(models)[0].bytes) ? ar : bestModel(models, budget);
}

export function hasCamera(nav) {
  return Boolean(nav.mediaDevices && nav.mediaDevices.getUserMedia) && window.isSecureContext;
}
