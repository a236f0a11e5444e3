/**
 * Weight initialisation as PyTorch does it, with tfjs's built-in initializers only (a custom
 * initializer class would make the saved model unloadable elsewhere). Fans are known when a layer is
 * created, so every distribution is given with its exact bound or standard deviation.
 *
 * No seeds are passed: runs are made reproducible by seeding Math.random in the training loop.
 */
import * as tf from '@tensorflow/tfjs';

export type Initializer = ReturnType<typeof tf.initializers.zeros>;

export type KernelInit =
  /** nn.Conv2d / nn.Linear reset_parameters(): kaiming_uniform_(a=sqrt(5)), i.e. U(-b, b), b = 1/sqrt(fan_in). */
  | { kind: 'torch-default' }
  /** nn.init.kaiming_normal_(nonlinearity='relu'): N(0, 2 / fan), untruncated. */
  | { kind: 'kaiming-normal'; mode: 'fanIn' | 'fanOut' }
  /**
   * nn.init.normal_(std) and trunc_normal_(std, a=-2, b=2): GoogLeNet's and Inception v3's bounds of
   * +-2 are 20 to 2000 standard deviations away, so the truncation never bites.
   */
  | { kind: 'normal'; std: number };

/** 'torch-default': U(-1/sqrt(fan_in), 1/sqrt(fan_in)), what PyTorch gives a bias it leaves alone. */
export type BiasInit = 'zeros' | 'torch-default';

export interface WeightInit {
  kernel: KernelInit;
  bias: BiasInit;
}

export interface Fans {
  fanIn: number;
  fanOut: number;
}

/** PyTorch's defaults for both weight and bias (LeNet-5, AlexNet, and every nn.Linear left alone). */
export const TORCH_DEFAULT: WeightInit = { kernel: { kind: 'torch-default' }, bias: 'torch-default' };

function uniformBound(fanIn: number): number {
  return 1 / Math.sqrt(Math.max(1, fanIn));
}

export function kernelInitializer(init: KernelInit, fans: Fans): Initializer {
  switch (init.kind) {
    case 'torch-default': {
      const bound = uniformBound(fans.fanIn);
      return tf.initializers.randomUniform({ minval: -bound, maxval: bound });
    }
    case 'kaiming-normal':
      return tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / Math.max(1, fans[init.mode])) });
    case 'normal':
      return tf.initializers.randomNormal({ mean: 0, stddev: init.std });
  }
}

export function biasInitializer(init: BiasInit, fans: Fans): Initializer {
  if (init === 'zeros') return tf.initializers.zeros();
  const bound = uniformBound(fans.fanIn);
  return tf.initializers.randomUniform({ minval: -bound, maxval: bound });
}
