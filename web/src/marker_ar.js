// Image-tracked AR: MindAR's controller (tracking only) driving our own three.js scene, so one three ships.
import { Controller } from "mind-ar/dist/mindar-image.prod.js";
import {
  Group, HemisphereLight, DirectionalLight, Matrix4, PerspectiveCamera, Quaternion, Scene, Vector3, WebGLRenderer,
} from "three";
import { loadGltf } from "./gltf.js";

// One-Euro filter (Casiez et al., CHI 2012) on the pose. MindAR's defaults (min cutoff 0.001/ms, beta 1000)
// follow fast motion but shake on a still phone; its documentation suggests lowering both against jitter.
// A lower cutoff smooths the still case, a small beta still lets the anchor catch up when the phone moves.
export const POSE_FILTER = { filterMinCF: 0.0001, filterBeta: 0.01, warmupTolerance: 5, missTolerance: 10 };

/** Opens the rear camera; rejects with the browser's DOMException (NotAllowedError when refused). */
async function openCamera(video) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } },
  });
  video.srcObject = stream;
  await new Promise((resolve) => {
    if (video.readyState >= 1) resolve();
    else video.addEventListener("loadedmetadata", resolve, { once: true });
  });
  await video.play();
  // MindAR's input loader draws `video.width × video.height` (the attributes), not the intrinsic size.
  video.width = video.videoWidth;
  video.height = video.videoHeight;
  return stream;
}

/** MindAR's pinhole camera (45° vertical FOV of the video) mapped to the container, as a three.js camera. */
function fitCamera(camera, controller, container, video) {
  const proj = controller.getProjectionMatrix();
  const width = container.clientWidth;
  const height = container.clientHeight;
  const videoRatio = video.videoWidth / video.videoHeight;
  // The video covers the container ("object-fit: cover"); the displayed height decides the vertical FOV.
  const displayHeight = videoRatio > width / height ? height : width / videoRatio;
  camera.fov = (2 * Math.atan((1 / proj[5]) * (height / displayHeight)) * 180) / Math.PI;
  camera.near = proj[14] / (proj[10] - 1);
  camera.far = proj[14] / (proj[10] + 1);
  camera.aspect = width / height;
  camera.updateProjectionMatrix();
}

/**
 * Starts tracking the site's marker inside `container` and shows `model` on it, placed by the scene transform
 * relative to the plaque (plaque width = marker.width_m metres). Resolves with a stop() function.
 */
export async function startMarkerAr(container, { scene, model, onFound, onLost, onPose }) {
  const video = document.createElement("video");
  video.className = "hue-camera";
  video.muted = true;
  video.playsInline = true;
  video.setAttribute("playsinline", "");
  container.append(video);
  let stream;
  try {
    stream = await openCamera(video);
  } catch (error) {
    video.remove();
    throw error;
  }
  const renderer = new WebGLRenderer({ alpha: true, antialias: true });
  renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
  renderer.domElement.className = "hue-overlay";
  container.append(renderer.domElement);
  const three = new Scene();
  three.add(new HemisphereLight(0xffffff, 0x444444, 2), new DirectionalLight(0xffffff, 1.5));
  const camera = new PerspectiveCamera();
  const anchor = new Group();
  anchor.matrixAutoUpdate = false;
  anchor.visible = false;
  three.add(anchor);

  const gltf = await loadGltf(model);
  const { translation, rotation, scale } = scene.placement;
  const content = gltf.scene;
  // MindAR's anchor space: the marker spans [0, targetWidth] in x; one unit below is one plaque width.
  // The scene transform is in metres, so metres → plaque widths is 1 / width_m.
  const metres = 1 / (scene.marker.width_m || 1);
  content.position.fromArray(translation).multiplyScalar(metres);
  content.quaternion.fromArray(rotation);
  content.scale.setScalar(scale * metres);
  anchor.add(content);

  const controller = new Controller({
    inputWidth: video.videoWidth,
    inputHeight: video.videoHeight,
    maxTrack: 1,
    ...POSE_FILTER,
    onUpdate: (data) => {
      if (data.type !== "updateMatrix") return;
      if (data.worldMatrix === null) {
        if (anchor.visible) onLost();
        anchor.visible = false;
        return;
      }
      if (!anchor.visible) onFound();
      anchor.visible = true;
      anchor.matrix.fromArray(data.worldMatrix).multiply(postMatrix);
      onPose(anchor.matrix.toArray());
    },
  });
  const { dimensions } = await controller.addImageTargets(scene.marker.target_url);
  const [markerWidth, markerHeight] = dimensions[0];
  // MindAR reports poses in marker pixels from the image's corner; centre it and make one unit = marker width.
  const postMatrix = new Matrix4().compose(
    new Vector3(markerWidth / 2, markerHeight / 2, 0), new Quaternion(), new Vector3(markerWidth, markerWidth, markerWidth),
  );
  const resize = () => {
    renderer.setSize(container.clientWidth, container.clientHeight);
    fitCamera(camera, controller, container, video);
  };
  resize();
  window.addEventListener("resize", resize);
  await controller.dummyRun(video);
  controller.processVideo(video);
  renderer.setAnimationLoop(() => renderer.render(three, camera));

  return () => {
    window.removeEventListener("resize", resize);
    renderer.setAnimationLoop(null);
    controller.stopProcessVideo();
    for (const track of stream.getTracks()) track.stop();
    renderer.dispose();
    renderer.domElement.remove();
    video.remove();
  };
}
