/**
 * Reads a PyTorch state_dict from any of the accepted files, recognised by their first bytes: a zip
 * (torch.save since 1.6), a pickle starting with torch's magic number (torch.save before 1.6, or with
 * `_use_new_zipfile_serialization=False`), or safetensors. Never runs a pickle: see pickle.ts.
 */
import { isSafetensors, readSafetensors } from './safetensors.js';
import type { ReadStateDict, StateDict, WeightsFormat } from './state-dict.js';
import { readTorchLegacy } from './torch-legacy.js';
import { readTorchZip } from './torch-zip.js';
import { malformed } from './weights-errors.js';

/** Decoded values may take twice the file's bytes (float16 read as float32), plus room for tiny files. */
function decodeBudget(bytes: Uint8Array): number {
  return 2 * bytes.length + 4096;
}

export function sniffWeightsFormat(bytes: Uint8Array): WeightsFormat {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'torch-zip';
  // PROTO 2, then LONG1 of 10 bytes: the legacy format's magic number.
  if (bytes.length >= 4 && bytes[0] === 0x80 && bytes[1] === 0x02 && bytes[2] === 0x8a && bytes[3] === 0x0a) return 'torch-legacy';
  if (isSafetensors(bytes)) return 'safetensors';
  throw malformed('not a PyTorch file (torch.save, zip or legacy format) nor a .safetensors file');
}

/**
 * Names as torchvision's modules have them: without DataParallel's `module.` prefix (when every key
 * has it), and with the DenseNet keys of torchvision's published files renamed as torchvision renames
 * them when it loads them (`denselayer1.norm.1.weight` -> `denselayer1.norm1.weight`; also for
 * num_batches_tracked, which those files predate but a file re-saved from them may have).
 */
export function canonicalNames(tensors: StateDict): StateDict {
  const keys = [...tensors.keys()];
  const strip = keys.length > 0 && keys.every((key) => key.startsWith('module.'));
  const renamed: StateDict = new Map();
  for (const [key, tensor] of tensors) {
    let name = strip ? key.slice('module.'.length) : key;
    name = name.replace(
      /^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var|num_batches_tracked))$/,
      '$1$2',
    );
    if (renamed.has(name)) throw malformed(`two tensors are both named ${name}`);
    renamed.set(name, tensor);
  }
  return renamed;
}

export interface ReadWeights extends ReadStateDict {
  /** The safetensors file's __metadata__ (empty for torch files). */
  metadata: Record<string, string>;
}

export function readStateDict(bytes: Uint8Array): ReadWeights {
  const format = sniffWeightsFormat(bytes);
  let tensors: StateDict;
  let metadata: Record<string, string> = {};
  switch (format) {
    case 'torch-zip':
      tensors = readTorchZip(bytes, decodeBudget(bytes));
      break;
    case 'torch-legacy':
      tensors = readTorchLegacy(bytes, decodeBudget(bytes));
      break;
    case 'safetensors':
      ({ tensors, metadata } = readSafetensors(bytes));
      break;
  }
  if (tensors.size === 0) throw malformed('the file holds no tensors');
  return { format, tensors: canonicalNames(tensors), metadata };
}
