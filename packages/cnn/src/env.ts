/**
 * The CNN package's own environment variables, read by whichever process trains or predicts (the
 * worker's training children, the API's prediction and export children, `trainyard train`): the one
 * place this library reads the environment. tfjs-free, so that a service can list them in its
 * configuration table.
 */
import { readEnv, type EnvValues } from '@trainyard/contracts';

export const cnnEnv = {
  engine: {
    name: 'TRAINYARD_ENGINE',
    default: '',
    description: 'Force a TensorFlow.js engine: tensorflow-gpu, webgpu, tensorflow, onednn, wasm or cpu (unset: the fastest that loads)',
    parse: (raw: string): string | undefined => raw || undefined,
  },
  webgpuAdapter: {
    name: 'TRAINYARD_WEBGPU_ADAPTER',
    default: '',
    description: "The webgpu engine's adapter: the first whose name contains this text (unset: Dawn's high-performance choice)",
    parse: (raw: string): string | undefined => raw || undefined,
  },
  webgpuAdapterIndex: {
    name: 'TRAINYARD_WEBGPU_ADAPTER_INDEX',
    default: '',
    description:
      "The webgpu engine's adapter by its index in Dawn's list (WORKER_GPUS sets it for each training child); refused where an earlier adapter has the same name",
    parse: (raw: string): string | undefined => raw || undefined,
  },
  fashionMnistDir: {
    name: 'FASHION_MNIST_DIR',
    default: '/usr/share/datasets/fashion-mnist',
    description: 'Folder with the Fashion-MNIST IDX files (Debian: dataset-fashion-mnist)',
    parse: (raw: string): string => raw,
  },
};

export type CnnEnv = EnvValues<typeof cnnEnv>;

export function readCnnEnv(env: Record<string, string | undefined> = process.env): CnnEnv {
  return readEnv(cnnEnv, env);
}
