/**
 * The fast paths: tfjs entry points (fused ops, the batch-norm layer, the softmax cross-entropy loss,
 * optimizer updates, the Relu gradient, batch norm folded into convolutions at inference, a convolution
 * and the max pooling after it) that take this package's fused kernels while 'onednn' is the
 * active backend and behave exactly as before on every other backend.
 *
 * TRAINYARD_ONEDNN_SKIP (comma-separated names below) leaves some out: for measuring what each one
 * brings, and for ruling one out when a result looks wrong.
 */
import { installBatchNormLayer } from './batch-norm-layer.js';
import { installConvPool } from './conv-pool.js';
import { installBatchNormFolding } from './fold-batch-norm.js';
import { installFusedOps } from './fused-ops.js';
import { installOptimizers } from './optimizers.js';
import { installReluGradient } from './relu-gradient.js';
import { installSoftmaxCrossEntropy } from './softmax-cross-entropy.js';

const FAST_PATHS: Record<string, () => void> = {
  'fused-ops': installFusedOps,
  'batch-norm': installBatchNormLayer,
  'softmax-cross-entropy': installSoftmaxCrossEntropy,
  optimizers: installOptimizers,
  'relu-gradient': installReluGradient,
  'fold-batch-norm': installBatchNormFolding,
  'conv-pool': installConvPool,
};

let installed = false;

export function installFastPaths(): void {
  if (installed) return;
  installed = true;
  const skipped = new Set((process.env.TRAINYARD_ONEDNN_SKIP ?? '').split(',').map((s) => s.trim()));
  for (const [name, install] of Object.entries(FAST_PATHS)) if (!skipped.has(name)) install();
}
