/**
 * AlexNet as torchvision 0.14 defines it. That is not the 2012 paper's network: torchvision follows
 * the single-GPU variant of Krizhevsky's "One weird trick" (2014), with 64-192-384-256-256 filters and
 * no local response normalisation. PyTorch's default initialisation (torchvision sets none).
 *
 * Before the classifier torchvision has AdaptiveAvgPool2d((6, 6)). At 224x224 the features are already
 * 6x6 and it is the identity (no layer here). At other sizes it is reproduced exactly (see
 * adaptiveAvgPool2d), so the classifier keeps its 9,216 inputs as in torchvision. With `smallInput` the
 * pooling is left out and the classifier reads the flattened feature map as it is, as Keras
 * applications do at any size (e.g. 256 inputs from the 1x1 map of a 63x63 input): far fewer
 * parameters for small images.
 */
import type { Heads } from './heads.js';
import { TORCH_DEFAULT } from './init.js';
import { adaptiveAvgPool2d, conv2d, dense, dropout, flatten, maxPool2d, type Tensor } from './layers.js';
import type { ResolvedOptions } from './options.js';

export function buildAlexNet(x: Tensor, options: ResolvedOptions): Heads {
  const init = TORCH_DEFAULT;
  x = conv2d(x, 'features.0', { filters: 64, kernel: 11, stride: 4, padding: 2, activation: 'relu', init });
  x = maxPool2d(x, 'features.2', { kernel: 3, stride: 2 });
  x = conv2d(x, 'features.3', { filters: 192, kernel: 5, padding: 2, activation: 'relu', init });
  x = maxPool2d(x, 'features.5', { kernel: 3, stride: 2 });
  x = conv2d(x, 'features.6', { filters: 384, kernel: 3, padding: 1, activation: 'relu', init });
  x = conv2d(x, 'features.8', { filters: 256, kernel: 3, padding: 1, activation: 'relu', init });
  x = conv2d(x, 'features.10', { filters: 256, kernel: 3, padding: 1, activation: 'relu', init });
  x = maxPool2d(x, 'features.12', { kernel: 3, stride: 2 });

  x = flatten(options.smallInput ? x : adaptiveAvgPool2d(x, 'avgpool', [6, 6]), 'flatten');
  x = dropout(x, 'classifier.0', options.dropout);
  x = dense(x, 'classifier.1', { units: 4096, activation: 'relu', init });
  x = dropout(x, 'classifier.3', options.dropout);
  x = dense(x, 'classifier.4', { units: 4096, activation: 'relu', init });
  return { logits: dense(x, 'classifier.6', { units: options.classes, init }), auxLogits: [] };
}
