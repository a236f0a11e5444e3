/**
 * torch.save's format since torch 1.6: a zip holding `<archive>/data.pkl` (the pickled state_dict,
 * whose tensors point at storages by key) and `<archive>/data/<key>` (each storage's raw bytes).
 */
import { unpickle, type PickleValue } from './pickle.js';
import type { StateDict } from './state-dict.js';
import { decodeStateDict, isCount, rebuildTensor, StorageRef, stateDictRoot, storageDtype } from './torch-tensors.js';
import { malformed } from './weights-errors.js';
import { readZip } from './zip-archive.js';

const utf8 = new TextDecoder();

export function readTorchZip(bytes: Uint8Array, budget: number): StateDict {
  const entries = readZip(bytes);
  const pickles = [...entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) throw malformed(`a torch zip has exactly one <archive>/data.pkl; this one has ${pickles.length}`);
  const prefix = pickles[0].slice(0, -'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder !== undefined && utf8.decode(byteorder).trim() !== 'little') {
    throw malformed('the file was saved on a big-endian machine; only little-endian files are read');
  }
  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: PickleValue): StorageRef => {
    // ('storage', storage type, key, location, number of elements)
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage' || typeof pid[2] !== 'string' || !isCount(pid[4])) {
      throw malformed('a storage reference is not (storage, type, key, location, size)');
    }
    const [, type, key, , elements] = pid as [string, PickleValue, string, PickleValue, number];
    const dtype = storageDtype(type);
    const known = storages.get(key);
    if (known !== undefined) {
      if (known.dtype !== dtype || known.elements !== elements)
        throw malformed(`storage ${key} is referenced with two different types or sizes`);
      return known;
    }
    const data = entries.get(`${prefix}data/${key}`);
    if (data === undefined) throw malformed(`storage ${key} is missing from the archive`);
    const storage = new StorageRef(key, dtype, elements);
    storage.bind(data);
    storages.set(key, storage);
    return storage;
  };
  const pickle = entries.get(pickles[0])!;
  const { value, end } = unpickle(pickle, 0, { persistentLoad, rebuildTensor }, 'data.pkl');
  if (end !== pickle.length) throw malformed('data.pkl has bytes after its end');
  return decodeStateDict(stateDictRoot(value), budget);
}
