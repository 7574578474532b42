// Mounts the viewer on #hue-viewer: poster first, then the lightest model, AR on demand.
import "./viewer.css";
import { createBeacon } from "./beacon.js";
import { arModel, bestModel, chromeIntentUrl, hasCamera, inAppBrowser, modelBudget, modelsByWeight, osFamily } from "./environment.js";
import { registerServiceWorker, saveForOffline } from "./offline.js";
import { createState } from "./state.js";
import { format, formatBytes, loadStrings } from "./strings.js";
import { createControls } from "./controls.js";

const CAMERA_REFUSED = new Set(["NotAllowedError", "SecurityError", "PermissionDeniedError"]);

/** The manifest the page was rendered with (one request fewer), else the one at data-manifest-url. */
async function loadManifest(root) {
  const embedded = root.querySelector("script#hue-manifest");
  if (embedded) return JSON.parse(embedded.textContent);
  const response = await fetch(root.dataset.manifestUrl, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`manifest: HTTP ${response.status}`);
  return response.json();
}

async function mount(root) {
  const { state, update, fail } = createState(root);
  const strings = loadStrings(root.dataset.strings);
  const lang = root.dataset.lang || document.documentElement.lang || "en";
  registerServiceWorker(root.dataset.swUrl ?? "/sw.js");

  const api = { state, element: root };
  window.hueViewer = api;
  const manifest = await loadManifest(root);
  const { scene, site } = manifest;
  const beacon = createBeacon(root.dataset.beaconUrl, site.slug, lang, Number(root.dataset.beaconQuietMs) || undefined);
  beacon("page");
  root.addEventListener("hue-viewer:error", (event) => beacon("error", event.detail));

  const budget = modelBudget(navigator);
  const inApp = inAppBrowser(navigator.userAgent);
  const controls = createControls(root, { strings, lang, scene, pack: manifest.pack });
  update({ inApp });
  if (inApp) controls.showInAppGuidance(inApp, osFamily(navigator.userAgent), chromeIntentUrl(location));

  let modelView = null;
  let stopAr = null;
  const report = (code, error) => {
    fail(code, error);
    root.dispatchEvent(new CustomEvent("hue-viewer:error", { detail: code }));
  };

  async function show3d(message) {
    if (stopAr) { stopAr(); stopAr = null; }
    controls.setMessage(message || "");
    controls.setActive("3d");
    if (!modelView) {
      const { createModelView } = await import("./model_view.js");
      modelView = createModelView(controls.stage, { scene, onAnnotation: controls.showAnnotation });
    }
    modelView.element.hidden = false;
    update({ mode: "3d" });
    if (state.model) return;
    const light = modelsByWeight(scene.models)[0];
    controls.setBusy(true);
    try {
      await modelView.show(light);
      update({ model: light.level });
      controls.revealModel();
      controls.showGround(modelView.canActivateAR);
      const heavier = bestModel(scene.models, budget);
      await modelView.drawn();
      if (heavier !== light) update({ model: (await modelView.show(heavier)).level });
    } catch (error) {
      controls.setMessage(strings.load_failed);
      report("model_load", error);
    } finally {
      controls.setBusy(false);
    }
  }

  async function startMarker() {
    controls.setMessage(strings.loading);
    controls.setBusy(true);
    try {
      const { startMarkerAr } = await import("./marker_ar.js");
      if (modelView) modelView.element.hidden = true;
      controls.setActive("marker");
      stopAr = await startMarkerAr(controls.stage, {
        scene,
        model: arModel(scene.models, budget),
        onFound: () => {
          update({ markerFound: true });
          controls.setMessage("");
          beacon("marker_found");
        },
        onLost: () => {
          update({ markerFound: false });
          controls.setMessage(strings.scan_plaque);
        },
        onPose: (pose) => { state.lastPose = pose; },
      });
      update({ mode: "marker" });
      controls.setMessage(strings.scan_plaque);
      beacon("ar_started", "marker");
    } catch (error) {
      const refused = CAMERA_REFUSED.has(error?.name);
      report(refused ? "camera_denied" : error?.name === "NotFoundError" ? "camera_missing" : "marker_ar", error);
      await show3d(refused ? strings.camera_denied : error?.name === "NotFoundError" ? strings.camera_missing : strings.ar_unsupported);
    } finally {
      controls.setBusy(false);
    }
  }

  async function startGround() {
    if (!modelView || !modelView.canActivateAR) {
      await show3d(strings.ar_unsupported);
      return;
    }
    update({ mode: "ground" });
    beacon("ar_started", "ground");
    await modelView.activateAR();
  }

  /** The automatic choice: the plaque when there is one and a camera, else the ground, else the 3D view. */
  async function startAr() {
    if (scene.marker && hasCamera(navigator)) return startMarker();
    if (modelView && modelView.canActivateAR) return startGround();
    return show3d(hasCamera(navigator) ? strings.ar_unsupported : strings.camera_missing);
  }

  async function saveOffline() {
    update({ offline: "saving" });
    try {
      const total = await saveForOffline(
        { pageUrl: location.href, manifestUrl: new URL(root.dataset.manifestUrl, location.href).href, pack: manifest.pack },
        (done, all) => controls.setSaveProgress(format(strings.saving, { done: formatBytes(done, lang), total: formatBytes(all, lang) }), done / (all || 1)),
      );
      controls.setSaveProgress(format(strings.saved, { total: formatBytes(total, lang) }), 1);
      update({ offline: "saved" });
    } catch (error) {
      controls.setSaveProgress(format(strings.save_failed, { error: error.message }), 0);
      update({ offline: "failed" });
      report("offline_save", error);
    }
  }

  Object.assign(api, { show3d, startAr, startMarker, startGround, saveOffline });
  controls.bind({
    "start-ar": startAr,
    "view-3d": () => show3d(),
    "ar-marker": startMarker,
    "ar-ground": startGround,
    "save-offline": saveOffline,
  });
  controls.showMarker(Boolean(scene.marker) && hasCamera(navigator));
  // On saver connections the poster stays until the tourist asks for more.
  if (budget > 0) await show3d();
}

const root = document.getElementById("hue-viewer");
if (root) {
  mount(root).catch((error) => {
    window.hueViewer = window.hueViewer || { state: { mode: "poster", errors: [] } };
    window.hueViewer.state.errors.push({ code: "mount", message: String(error?.message || error) });
    root.dispatchEvent(new CustomEvent("hue-viewer:error", { detail: "mount" }));
  });
}
