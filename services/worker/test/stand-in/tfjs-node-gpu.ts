/**
 * The one stand-in the tests use: @tensorflow/tfjs-node-gpu cannot install here (its install downloads
 * libtensorflow), so this module takes its place (register.ts) with the part of its API the worker
 * relies on: importing it registers a 'tensorflow' backend whose `isUsingGpuDevice` says whether
 * libtensorflow found a CUDA device among the visible ones. Like libtensorflow, it sees the devices of
 * the machine (TFJS_NODE_GPU_STAND_IN_DEVICES, e.g. "0,1"; empty: none) that CUDA_VISIBLE_DEVICES
 * leaves visible. It computes with tfjs's cpu kernels, registered again under the 'tensorflow' name.
 *
 * Each import appends what this process saw to TFJS_NODE_GPU_STAND_IN_REPORT (one JSON line), so a test
 * can tell which pin each process got.
 */
import { appendFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';

const machineDevices = (process.env.TFJS_NODE_GPU_STAND_IN_DEVICES ?? '').split(',').filter((id) => id !== '');
const visibleSetting = process.env.CUDA_VISIBLE_DEVICES;
const visible = visibleSetting === undefined ? machineDevices : visibleSetting.split(',').filter((id) => machineDevices.includes(id));

if (process.env.TFJS_NODE_GPU_STAND_IN_REPORT) {
  appendFileSync(
    process.env.TFJS_NODE_GPU_STAND_IN_REPORT,
    `${JSON.stringify({
      pid: process.pid,
      cudaVisibleDevices: visibleSetting ?? null,
      allowGrowth: process.env.TF_FORCE_GPU_ALLOW_GROWTH ?? null,
      visible,
    })}\n`,
  );
}

for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: 'tensorflow' });
tf.registerBackend(
  'tensorflow',
  () => Object.assign(tf.findBackendFactory('cpu')!() as tf.KernelBackend, { isUsingGpuDevice: visible.length > 0 }),
  3,
);

export const version = { ...tf.version, 'tfjs-node': `${tf.version_core}-stand-in` };
