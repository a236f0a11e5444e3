/**
 * LeNet-5 exactly as the PyTorch reference script (bench/torch_reference.py) defines it, the
 * yardstick our Fashion-MNIST results are compared with: 44,426 parameters at 28x28x1 and 62,006 at
 * 32x32x3 with 10 classes. PyTorch's default initialisation throughout, as the script leaves it.
 */
import type { Heads } from './heads.js';
import { TORCH_DEFAULT } from './init.js';
import { conv2d, dense, flatten, maxPool2d, type Tensor } from './layers.js';
import type { ResolvedOptions } from './options.js';

export function buildLeNet5(x: Tensor, options: ResolvedOptions): Heads {
  const init = TORCH_DEFAULT;
  x = conv2d(x, 'cn1', { filters: 6, kernel: 5, activation: 'relu', init });
  x = maxPool2d(x, 'pool1', { kernel: 2, stride: 2 });
  x = conv2d(x, 'cn2', { filters: 16, kernel: 5, activation: 'relu', init });
  x = maxPool2d(x, 'pool2', { kernel: 2, stride: 2 });
  x = flatten(x, 'flatten');
  x = dense(x, 'fc1', { units: 120, activation: 'relu', init });
  x = dense(x, 'fc2', { units: 84, activation: 'relu', init });
  return { logits: dense(x, 'fc3', { units: options.classes, init }), auxLogits: [] };
}
