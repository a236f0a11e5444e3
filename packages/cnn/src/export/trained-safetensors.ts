/**
 * A trained model as a torchvision state_dict in safetensors (GET /v1/jobs/{id}/model?format=safetensors
 * and the checkpoint export): torchvision's names and layouts from the weights package, and in
 * __metadata__ what a PyTorch user needs to feed it: the normalisation (added by exportSafetensors),
 * the input size and the class names.
 */
import { CnnError } from '../errors.js';
import type { BuiltModel, InputShape } from '../types.js';
import { pretrainedArchitectures } from '../weights/torchvision-state-dict.js';
import { exportSafetensors } from '../weights/export-safetensors.js';

/** Whether `built` has a torchvision counterpart (a torchvision architecture, without smallInput). */
export function hasTorchvisionLayout(built: BuiltModel): boolean {
  return pretrainedArchitectures().includes(built.architecture) && !built.options.smallInput;
}

export function trainedSafetensors(built: BuiltModel, info: { inputShape: InputShape; classNames: string[] }): Uint8Array {
  if (!hasTorchvisionLayout(built)) {
    throw new CnnError(
      'export_unsupported',
      `${built.architecture}${built.options.smallInput ? ' with smallInput' : ''} has no torchvision counterpart; download the tfjs model instead.`,
      { architecture: built.architecture },
    );
  }
  return exportSafetensors(built, {
    architecture: built.architecture,
    metadata: {
      inputShape: JSON.stringify(info.inputShape),
      inputSize: JSON.stringify([info.inputShape[0], info.inputShape[1]]),
      classNames: JSON.stringify(info.classNames),
    },
  });
}
