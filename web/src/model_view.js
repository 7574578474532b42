// The 3D view and ground AR: one <model-viewer> (orbit, hotspots, WebXR / Scene Viewer / Quick Look).
import "@google/model-viewer";
import { Euler, MathUtils, Quaternion } from "three";

const here = (path) => new URL(path, import.meta.url).href;

/**
 * Every decoder comes from our origin: model-viewer's defaults point at gstatic and jsDelivr. Each element reads
 * these from the global `self.ModelViewerElement` object when it is constructed (features/loading.js), overriding
 * what was set on the class, so the global is what must hold them. Draco's decoder is fetched only when a model
 * needs it; the meshopt "location" is fetched as soon as it is set, so it is set only for scenes that use meshopt.
 */
function configureDecoders(models) {
  self.ModelViewerElement = Object.assign(self.ModelViewerElement || {}, {
    dracoDecoderLocation: here(`../${__HUE_VENDOR_DIR__}/draco/`),
    // The pipeline emits no KTX2 textures or Lottie: these stay on our origin so nothing ever reaches a CDN.
    ktx2TranscoderLocation: here("../basis/"),
    lottieLoaderLocation: here("../lottie-unused.js"),
  });
  if (models.some((model) => model.compression === "meshopt")) {
    self.ModelViewerElement.meshoptDecoderLocation = here(`../${__HUE_VENDOR_DIR__}/meshopt-ready.js`);
  }
}

/**
 * Quaternion [x, y, z, w] → model-viewer's orientation "roll pitch yaw", which it applies as
 * Euler(pitch, yaw, roll, "YXZ") (lib/features/scene-graph.js).
 */
export function orientationOf(rotation) {
  const euler = new Euler().setFromQuaternion(new Quaternion(...rotation), "YXZ");
  const deg = (radians) => `${MathUtils.radToDeg(radians)}deg`;
  return `${deg(euler.z)} ${deg(euler.x)} ${deg(euler.y)}`;
}

/** Creates the viewer element inside `stage`; resolves once the first model is shown. */
export function createModelView(stage, { scene, onAnnotation }) {
  configureDecoders(scene.models || []);
  const viewer = document.createElement("model-viewer");
  viewer.setAttribute("camera-controls", "");
  viewer.setAttribute("touch-action", "pan-y");
  viewer.setAttribute("shadow-intensity", "1");
  viewer.setAttribute("interaction-prompt", "none");
  viewer.setAttribute("alt", scene.alt || "");
  viewer.setAttribute("ar", "");
  viewer.setAttribute("ar-modes", "webxr scene-viewer quick-look");
  viewer.setAttribute("ar-placement", "floor");
  if (scene.usdz) viewer.setAttribute("ios-src", new URL(scene.usdz.url, location.href).href);
  if (scene.poster) viewer.setAttribute("poster", scene.poster.url);
  const { scale } = scene.placement;
  viewer.setAttribute("scale", `${scale} ${scale} ${scale}`);
  viewer.setAttribute("orientation", orientationOf(scene.placement.rotation));
  // The AR button is ours (large, translated); model-viewer's default one is hidden.
  const hiddenArButton = document.createElement("span");
  hiddenArButton.slot = "ar-button";
  hiddenArButton.hidden = true;
  viewer.append(hiddenArButton);
  for (const note of scene.annotations || []) {
    const hotspot = document.createElement("button");
    hotspot.type = "button";
    hotspot.className = "hue-hotspot";
    hotspot.slot = `hotspot-${note.id}`;
    hotspot.dataset.position = note.position.join(" ");
    hotspot.dataset.normal = note.normal.join(" ");
    hotspot.dataset.visibilityAttribute = "visible";
    hotspot.setAttribute("aria-label", note.title);
    hotspot.lang = note.language;
    hotspot.textContent = String((scene.annotations.indexOf(note) + 1));
    hotspot.addEventListener("click", () => onAnnotation(note));
    viewer.append(hotspot);
  }
  stage.append(viewer);
  return {
    element: viewer,
    show(next) {
      return new Promise((resolve, reject) => {
        const done = () => { cleanup(); resolve(next); };
        const failed = (event) => { cleanup(); reject(new Error(event.detail?.type || "load")); };
        const cleanup = () => {
          viewer.removeEventListener("load", done);
          viewer.removeEventListener("error", failed);
        };
        viewer.addEventListener("load", done);
        viewer.addEventListener("error", failed);
        viewer.src = next.url;
      });
    },
    /** Resolves once the shown model has been drawn (so a heavier level does not compete with the first frame). */
    drawn() {
      if (viewer.modelIsVisible) return Promise.resolve();
      return new Promise((resolve) => {
        const seen = (event) => {
          if (!event.detail.visible) return;
          viewer.removeEventListener("model-visibility", seen);
          resolve();
        };
        viewer.addEventListener("model-visibility", seen);
      });
    },
    /** Whether model-viewer found WebXR, Scene Viewer or Quick Look (only known after a model is loaded). */
    get canActivateAR() {
      return Boolean(viewer.canActivateAR);
    },
    activateAR() {
      return viewer.activateAR();
    },
  };
}
