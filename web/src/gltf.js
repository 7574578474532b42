// Loading a glTF with only the decoders its manifest entry says it needs (meshopt or Draco).
import { GLTFLoader } from "three/examples/jsm/loaders/GLTFLoader.js";

export async function loadGltf(model) {
  const loader = new GLTFLoader();
  if (model.compression === "meshopt") {
    const { MeshoptDecoder } = await import("three/examples/jsm/libs/meshopt_decoder.module.js");
    loader.setMeshoptDecoder(MeshoptDecoder);
  } else if (model.compression === "draco") {
    const { DRACOLoader } = await import("three/examples/jsm/loaders/DRACOLoader.js");
    loader.setDRACOLoader(new DRACOLoader().setDecoderPath(new URL(/* @vite-ignore */ `../${__HUE_VENDOR_DIR__}/draco/`, import.meta.url).href));
  }
  return loader.loadAsync(model.url);
}
