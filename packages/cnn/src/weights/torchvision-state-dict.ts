/**
 * The state_dict torchvision 0.14 has for each ImageNet-layout architecture of the catalog: every
 * tensor's name and shape, in torchvision's order, written from the same variant table the builders
 * read. No tfjs: the API checks uploaded weights against it. A test holds it to torchvision's own
 * state_dicts and to the names and shapes our built models map to.
 */
import { CnnError } from '../errors.js';
import { architectureNames, getVariant, type FamilyConfig, type Variant } from '../models/catalog-info.js';
import type { BuildOptions } from '../types.js';

export type TensorRole = 'weight' | 'bias' | 'running_mean' | 'running_var' | 'num_batches_tracked';

export interface ExpectedTensor {
  name: string;
  shape: number[];
  role: TensorRole;
  /** The module it belongs to, e.g. `layer1.0.conv1`. */
  module: string;
  /** Part of a layer that outputs class scores (its first dimension is the number of classes). */
  classifier: boolean;
  /** Part of an auxiliary head (GoogLeNet's aux1/aux2, Inception v3's AuxLogits). */
  auxiliary: boolean;
}

export interface StateDictLayout {
  classes: number;
  /** GoogLeNet and Inception v3: the auxiliary heads are in the state_dict. */
  auxLogits: boolean;
}

class Collector {
  readonly tensors: ExpectedTensor[] = [];
  private auxiliary = false;

  constructor(private readonly classes: number) {}

  private add(module: string, role: TensorRole, shape: number[], classifier = false): void {
    this.tensors.push({ name: `${module}.${role}`, shape, role, module, classifier, auxiliary: this.auxiliary });
  }

  conv(module: string, out: number, inChannels: number, kernel: number | [number, number], bias: boolean): void {
    const [kh, kw] = typeof kernel === 'number' ? [kernel, kernel] : kernel;
    this.add(module, 'weight', [out, inChannels, kh, kw]);
    if (bias) this.add(module, 'bias', [out]);
  }

  batchNorm(module: string, channels: number): void {
    this.add(module, 'weight', [channels]);
    this.add(module, 'bias', [channels]);
    this.add(module, 'running_mean', [channels]);
    this.add(module, 'running_var', [channels]);
    this.add(module, 'num_batches_tracked', []);
  }

  linear(module: string, out: number, inFeatures: number): void {
    this.add(module, 'weight', [out, inFeatures]);
    this.add(module, 'bias', [out]);
  }

  /** A linear layer with one output per class. */
  classifier(module: string, inFeatures: number): void {
    this.add(module, 'weight', [this.classes, inFeatures], true);
    this.add(module, 'bias', [this.classes], true);
  }

  /** torchvision's BasicConv2d: convolution without bias, then batch norm. */
  basicConv(module: string, out: number, inChannels: number, kernel: number | [number, number]): number {
    this.conv(`${module}.conv`, out, inChannels, kernel, false);
    this.batchNorm(`${module}.bn`, out);
    return out;
  }

  inAuxiliaryHead(build: () => void): void {
    this.auxiliary = true;
    build();
    this.auxiliary = false;
  }
}

function resnet(c: Collector, config: Extract<FamilyConfig, { family: 'resnet' }>): void {
  const expansion = config.block === 'basic' ? 1 : 4;
  c.conv('conv1', 64, 3, 7, false);
  c.batchNorm('bn1', 64);
  let inChannels = 64;
  config.blocksPerStage.forEach((blocks, stage) => {
    const planes = 64 * 2 ** stage;
    for (let i = 0; i < blocks; i++) {
      const name = `layer${stage + 1}.${i}`;
      if (config.block === 'basic') {
        c.conv(`${name}.conv1`, planes, inChannels, 3, false);
        c.batchNorm(`${name}.bn1`, planes);
        c.conv(`${name}.conv2`, planes, planes, 3, false);
        c.batchNorm(`${name}.bn2`, planes);
      } else {
        c.conv(`${name}.conv1`, planes, inChannels, 1, false);
        c.batchNorm(`${name}.bn1`, planes);
        c.conv(`${name}.conv2`, planes, planes, 3, false);
        c.batchNorm(`${name}.bn2`, planes);
        c.conv(`${name}.conv3`, planes * expansion, planes, 1, false);
        c.batchNorm(`${name}.bn3`, planes * expansion);
      }
      const stride = stage > 0 && i === 0 ? 2 : 1;
      if (stride !== 1 || inChannels !== planes * expansion) {
        c.conv(`${name}.downsample.0`, planes * expansion, inChannels, 1, false);
        c.batchNorm(`${name}.downsample.1`, planes * expansion);
      }
      inChannels = planes * expansion;
    }
  });
  c.classifier('fc', inChannels);
}

function densenet(c: Collector, config: Extract<FamilyConfig, { family: 'densenet' }>): void {
  let channels = config.initFeatures;
  c.conv('features.conv0', channels, 3, 7, false);
  c.batchNorm('features.norm0', channels);
  const bottleneck = config.bottleneckWidth * config.growthRate;
  config.blocksPerStage.forEach((layers, i) => {
    for (let j = 1; j <= layers; j++) {
      const name = `features.denseblock${i + 1}.denselayer${j}`;
      c.batchNorm(`${name}.norm1`, channels);
      c.conv(`${name}.conv1`, bottleneck, channels, 1, false);
      c.batchNorm(`${name}.norm2`, bottleneck);
      c.conv(`${name}.conv2`, config.growthRate, bottleneck, 3, false);
      channels += config.growthRate;
    }
    if (i < config.blocksPerStage.length - 1) {
      const name = `features.transition${i + 1}`;
      c.batchNorm(`${name}.norm`, channels);
      c.conv(`${name}.conv`, Math.floor(channels / 2), channels, 1, false);
      channels = Math.floor(channels / 2);
    }
  });
  c.batchNorm('features.norm5', channels);
  c.classifier('classifier', channels);
}

function vgg(c: Collector, config: Extract<FamilyConfig, { family: 'vgg' }>): void {
  let index = 0;
  let channels = 3;
  for (const layer of config.layers) {
    if (layer === 'M') {
      index += 1;
      continue;
    }
    c.conv(`features.${index}`, layer, channels, 3, true);
    if (config.batchNorm) c.batchNorm(`features.${index + 1}`, layer);
    index += config.batchNorm ? 3 : 2;
    channels = layer;
  }
  c.linear('classifier.0', 4096, channels * 7 * 7);
  c.linear('classifier.3', 4096, 4096);
  c.classifier('classifier.6', 4096);
}

function alexnet(c: Collector): void {
  c.conv('features.0', 64, 3, 11, true);
  c.conv('features.3', 192, 64, 5, true);
  c.conv('features.6', 384, 192, 3, true);
  c.conv('features.8', 256, 384, 3, true);
  c.conv('features.10', 256, 256, 3, true);
  c.linear('classifier.1', 4096, 256 * 6 * 6);
  c.linear('classifier.4', 4096, 4096);
  c.classifier('classifier.6', 4096);
}

function googlenet(c: Collector, auxLogits: boolean): void {
  let channels = c.basicConv('conv1', 64, 3, 7);
  channels = c.basicConv('conv2', 64, channels, 1);
  channels = c.basicConv('conv3', 192, channels, 3);
  const inception = (name: string, [ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, poolProj]: number[]): void => {
    c.basicConv(`${name}.branch1`, ch1x1, channels, 1);
    c.basicConv(`${name}.branch2.0`, ch3x3red, channels, 1);
    c.basicConv(`${name}.branch2.1`, ch3x3, ch3x3red, 3);
    c.basicConv(`${name}.branch3.0`, ch5x5red, channels, 1);
    c.basicConv(`${name}.branch3.1`, ch5x5, ch5x5red, 3);
    c.basicConv(`${name}.branch4.1`, poolProj, channels, 1);
    channels = ch1x1 + ch3x3 + ch5x5 + poolProj;
  };
  const aux = (name: string): void =>
    c.inAuxiliaryHead(() => {
      c.basicConv(`${name}.conv`, 128, channels, 1);
      c.linear(`${name}.fc1`, 1024, 128 * 4 * 4);
      c.classifier(`${name}.fc2`, 1024);
    });
  inception('inception3a', [64, 96, 128, 16, 32, 32]);
  inception('inception3b', [128, 128, 192, 32, 96, 64]);
  inception('inception4a', [192, 96, 208, 16, 48, 64]);
  inception('inception4b', [160, 112, 224, 24, 64, 64]);
  inception('inception4c', [128, 128, 256, 24, 64, 64]);
  inception('inception4d', [112, 144, 288, 32, 64, 64]);
  inception('inception4e', [256, 160, 320, 32, 128, 128]);
  inception('inception5a', [256, 160, 320, 32, 128, 128]);
  inception('inception5b', [384, 192, 384, 48, 128, 128]);
  // torchvision registers aux1 and aux2 after inception5b, whatever their place in forward().
  if (auxLogits) {
    const final = channels;
    channels = 512; // inception4a's output
    aux('aux1');
    channels = 528; // inception4d's output
    aux('aux2');
    channels = final;
  }
  c.classifier('fc', channels);
}

function inceptionV3(c: Collector, auxLogits: boolean): void {
  const conv = (name: string, out: number, inChannels: number, kernel: number | [number, number]) =>
    c.basicConv(name, out, inChannels, kernel);
  conv('Conv2d_1a_3x3', 32, 3, 3);
  conv('Conv2d_2a_3x3', 32, 32, 3);
  conv('Conv2d_2b_3x3', 64, 32, 3);
  conv('Conv2d_3b_1x1', 80, 64, 1);
  conv('Conv2d_4a_3x3', 192, 80, 3);
  const inceptionA = (name: string, inChannels: number, poolFeatures: number): number => {
    conv(`${name}.branch1x1`, 64, inChannels, 1);
    conv(`${name}.branch5x5_1`, 48, inChannels, 1);
    conv(`${name}.branch5x5_2`, 64, 48, 5);
    conv(`${name}.branch3x3dbl_1`, 64, inChannels, 1);
    conv(`${name}.branch3x3dbl_2`, 96, 64, 3);
    conv(`${name}.branch3x3dbl_3`, 96, 96, 3);
    conv(`${name}.branch_pool`, poolFeatures, inChannels, 1);
    return 64 + 64 + 96 + poolFeatures;
  };
  const inceptionC = (name: string, c7: number): void => {
    conv(`${name}.branch1x1`, 192, 768, 1);
    conv(`${name}.branch7x7_1`, c7, 768, 1);
    conv(`${name}.branch7x7_2`, c7, c7, [1, 7]);
    conv(`${name}.branch7x7_3`, 192, c7, [7, 1]);
    conv(`${name}.branch7x7dbl_1`, c7, 768, 1);
    conv(`${name}.branch7x7dbl_2`, c7, c7, [7, 1]);
    conv(`${name}.branch7x7dbl_3`, c7, c7, [1, 7]);
    conv(`${name}.branch7x7dbl_4`, c7, c7, [7, 1]);
    conv(`${name}.branch7x7dbl_5`, 192, c7, [1, 7]);
    conv(`${name}.branch_pool`, 192, 768, 1);
  };
  const inceptionE = (name: string, inChannels: number): void => {
    conv(`${name}.branch1x1`, 320, inChannels, 1);
    conv(`${name}.branch3x3_1`, 384, inChannels, 1);
    conv(`${name}.branch3x3_2a`, 384, 384, [1, 3]);
    conv(`${name}.branch3x3_2b`, 384, 384, [3, 1]);
    conv(`${name}.branch3x3dbl_1`, 448, inChannels, 1);
    conv(`${name}.branch3x3dbl_2`, 384, 448, 3);
    conv(`${name}.branch3x3dbl_3a`, 384, 384, [1, 3]);
    conv(`${name}.branch3x3dbl_3b`, 384, 384, [3, 1]);
    conv(`${name}.branch_pool`, 192, inChannels, 1);
  };
  let channels = inceptionA('Mixed_5b', 192, 32);
  channels = inceptionA('Mixed_5c', channels, 64);
  channels = inceptionA('Mixed_5d', channels, 64);
  conv('Mixed_6a.branch3x3', 384, channels, 3);
  conv('Mixed_6a.branch3x3dbl_1', 64, channels, 1);
  conv('Mixed_6a.branch3x3dbl_2', 96, 64, 3);
  conv('Mixed_6a.branch3x3dbl_3', 96, 96, 3);
  inceptionC('Mixed_6b', 128);
  inceptionC('Mixed_6c', 160);
  inceptionC('Mixed_6d', 160);
  inceptionC('Mixed_6e', 192);
  if (auxLogits) {
    c.inAuxiliaryHead(() => {
      conv('AuxLogits.conv0', 128, 768, 1);
      conv('AuxLogits.conv1', 768, 128, 5);
      c.classifier('AuxLogits.fc', 768);
    });
  }
  conv('Mixed_7a.branch3x3_1', 192, 768, 1);
  conv('Mixed_7a.branch3x3_2', 320, 192, 3);
  conv('Mixed_7a.branch7x7x3_1', 192, 768, 1);
  conv('Mixed_7a.branch7x7x3_2', 192, 192, [1, 7]);
  conv('Mixed_7a.branch7x7x3_3', 192, 192, [7, 1]);
  conv('Mixed_7a.branch7x7x3_4', 192, 192, 3);
  inceptionE('Mixed_7b', 1280);
  inceptionE('Mixed_7c', 2048);
  c.classifier('fc', 2048);
}

/** Architectures whose torchvision weights we read: every ImageNet-layout variant. */
function takesPretrainedWeights(variant: Variant): boolean {
  const config = variant.config;
  if (config.family === 'lenet') return false;
  if (config.family === 'resnet' || config.family === 'densenet') return config.layout === 'imagenet';
  return true;
}

export function pretrainedArchitectures(): string[] {
  return architectureNames().filter((name) => takesPretrainedWeights(getVariant(name)));
}

/**
 * Throws CnnError('invalid_option') unless `architecture` takes torchvision weights with these build
 * options: an ImageNet-layout variant, without `smallInput` (its stem differs from torchvision's).
 */
export function checkPretrainedOptions(architecture: string, options: Pick<BuildOptions, 'smallInput'> = {}): Variant {
  const variant = getVariant(architecture);
  if (!takesPretrainedWeights(variant)) {
    throw new CnnError(
      'invalid_option',
      `${architecture} has no torchvision counterpart, so it takes no pretrained weights; choose one of ${pretrainedArchitectures().join(', ')}`,
      {
        architecture,
        option: 'pretrained',
      },
    );
  }
  if (options.smallInput === true) {
    throw new CnnError(
      'invalid_option',
      `${architecture}: smallInput changes the stem, so torchvision's weights do not fit it; leave smallInput out with pretrained weights`,
      {
        architecture,
        option: 'smallInput',
      },
    );
  }
  return variant;
}

/** torchvision's state_dict for `architecture` with `layout`, tensor by tensor. */
export function torchvisionStateDict(architecture: string, layout: StateDictLayout): ExpectedTensor[] {
  const variant = checkPretrainedOptions(architecture);
  const c = new Collector(layout.classes);
  const config = variant.config;
  switch (config.family) {
    case 'resnet':
      resnet(c, config);
      break;
    case 'densenet':
      densenet(c, config);
      break;
    case 'vgg':
      vgg(c, config);
      break;
    case 'alexnet':
      alexnet(c);
      break;
    case 'googlenet':
      googlenet(c, layout.auxLogits);
      break;
    case 'inception':
      inceptionV3(c, layout.auxLogits);
      break;
    case 'lenet':
      throw new Error('unreachable: lenet takes no pretrained weights');
  }
  return c.tensors;
}
