/**
 * WebGPU in Node through Dawn (the `webgpu` package on npm, not a dependency of the app: `npm install
 * --no-save webgpu@0.6.2`, or a packed folder's node_modules, see ./pack.ts), installed as
 * `navigator.gpu` and the WebGPU globals before tfjs' WebGPU backend is imported: that backend
 * registers itself only if `navigator.gpu` exists when its module runs, so callers import it (and
 * everything that imports tfjs) dynamically, after `installDawn()`.
 *
 * Dawn takes the first Vulkan adapter the loader finds (`VK_DRIVER_FILES` picks a driver: NVIDIA's
 * ICD on a GPU machine; Chromium's SwiftShader, `/usr/lib/chromium/vk_swiftshader_icd.json`, to try
 * the path on a machine without one). 'allow_unsafe_apis' lets tfjs ask for timestamp queries
 * (per-kernel GPU times in a profile). `backend=null` (Dawn's Null backend: every call validated and
 * recorded, nothing executed, read-backs give zeros) times the host side of a step alone: tfjs, the
 * app's JS and Dawn's API, without a GPU.
 */
import os from 'node:os';

export interface DawnAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** SwiftShader, or an adapter Dawn marks as a fallback (a CPU implementation). */
  software: boolean;
  /** Dawn's Null backend: nothing runs (host-side timing only). */
  nullBackend: boolean;
  features: string[];
}

type Gpu = { requestAdapter(o?: object): Promise<{ info: Record<string, string>; isFallbackAdapter?: boolean; features: Set<string> } | null> };

/** Installs Dawn as `navigator.gpu`; the adapter it finds, or why there is none. */
export async function installDawn(flags: string[] = ['enable-dawn-features=allow_unsafe_apis']): Promise<{ adapter: DawnAdapter } | { skipped: string }> {
  let dawn: { create(flags: string[]): Gpu; globals: Record<string, unknown> };
  try {
    // Not a dependency (no types on a clean install): imported by a name the type checker does not resolve.
    const name = 'webgpu';
    dawn = (await import(name)) as typeof dawn;
  } catch (e) {
    return { skipped: `no Dawn for Node (npm install --no-save webgpu@0.6.2): ${(e as Error).message.split('\n')[0]}` };
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(flags);
  Object.defineProperty(globalThis, 'navigator', { configurable: true, value: { gpu, hardwareConcurrency: os.cpus().length, userAgent: `Node.js ${process.version}` } });
  const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) return { skipped: 'no GPU adapter (Dawn found no Vulkan device: is a Vulkan loader and driver installed? VK_DRIVER_FILES names the driver)' };
  const info = a.info;
  const adapter = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    software: info.architecture === 'swiftshader' || a.isFallbackAdapter === true,
    nullBackend: flags.includes('backend=null'),
    features: [...a.features].sort(),
  };
  return { adapter };
}
