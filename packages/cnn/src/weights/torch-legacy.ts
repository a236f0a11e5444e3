/**
 * torch.save's format before torch 1.6 (still used by some published torchvision files, and written
 * by `_use_new_zipfile_serialization=False`): five things back to back, four pickles and the data.
 *   magic number, protocol version (1001), system info, the state_dict (storages referenced by key),
 *   the list of storage keys; then for each key in that order its element count (int64) and bytes.
 */
import { NO_TENSORS, unpickle, type PickleValue } from './pickle.js';
import { DTYPE_BYTES, type StateDict } from './state-dict.js';
import { decodeStateDict, isCount, rebuildTensor, StorageRef, stateDictRoot, storageDtype } from './torch-tensors.js';
import { malformed } from './weights-errors.js';

const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/** A view of another storage (files from torch < 1.0 that saved views with their base). */
interface StorageView {
  view: StorageRef;
  base: string;
  offset: number;
}

export function readTorchLegacy(bytes: Uint8Array, budget: number): StateDict {
  let at = 0;
  const next = (what: string, hooks = NO_TENSORS): PickleValue => {
    const { value, end } = unpickle(bytes, at, hooks, what);
    at = end;
    return value;
  };
  if (next('the magic number') !== MAGIC) throw malformed('not a torch.save file (wrong magic number)');
  if (next('the protocol version') !== PROTOCOL_VERSION) throw malformed('an unknown torch.save protocol version');
  const info = next('the system info');
  if (!(info instanceof Map) || info.get('little_endian') !== true) {
    throw malformed('the file was saved on a big-endian machine or lacks its system info; only little-endian files are read');
  }

  const storages = new Map<string, StorageRef>();
  const views: StorageView[] = [];
  const persistentLoad = (pid: PickleValue): StorageRef => {
    // ('storage', storage type, key, location, number of elements, view metadata or None)
    if (!Array.isArray(pid) || pid.length !== 6 || pid[0] !== 'storage' || typeof pid[2] !== 'string' || !isCount(pid[4])) {
      throw malformed('a storage reference is not (storage, type, key, location, size, view)');
    }
    const [, type, key, , elements, viewMetadata] = pid as [string, PickleValue, string, PickleValue, number, PickleValue];
    const dtype = storageDtype(type);
    let base = storages.get(key);
    if (base === undefined) {
      base = new StorageRef(key, dtype, elements);
      storages.set(key, base);
    } else if (base.dtype !== dtype || base.elements !== elements) {
      throw malformed(`storage ${key} is referenced with two different types or sizes`);
    }
    if (viewMetadata === null) return base;
    const [viewKey, offset, size] = Array.isArray(viewMetadata) ? viewMetadata : [];
    if (typeof viewKey !== 'string' || !isCount(offset ?? null) || !isCount(size ?? null))
      throw malformed('a storage view is not (key, offset, size)');
    if ((offset as number) + (size as number) > elements) throw malformed(`storage view ${viewKey} reaches past its storage ${key}`);
    const view = new StorageRef(viewKey, dtype, size as number);
    views.push({ view, base: key, offset: offset as number });
    return view;
  };
  const root = stateDictRoot(next('the state_dict', { persistentLoad, rebuildTensor }));
  const keys = next('the storage keys');
  if (!Array.isArray(keys) || keys.length !== storages.size || !keys.every((key) => typeof key === 'string' && storages.has(key))) {
    throw malformed('the list of storage keys does not match the storages the state_dict uses');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys as string[]) {
    const storage = storages.get(key)!;
    if (storage.bytes !== null) throw malformed(`storage ${key} is listed twice`);
    if (at + 8 > bytes.length) throw malformed(`the file ends before storage ${key}`);
    const elements = view.getBigInt64(at, true);
    if (elements !== BigInt(storage.elements))
      throw malformed(`storage ${key} holds ${elements} elements, its header says ${storage.elements}`);
    at += 8;
    const length = storage.elements * DTYPE_BYTES[storage.dtype];
    if (length > bytes.length - at) throw malformed(`the file ends inside storage ${key}`);
    storage.bind(bytes.subarray(at, at + length));
    at += length;
  }
  if (at !== bytes.length) throw malformed('the file has bytes after its last storage');
  for (const { view: storageView, base, offset } of views) {
    const width = DTYPE_BYTES[storageView.dtype];
    storageView.bind(storages.get(base)!.bytes!.subarray(offset * width, (offset + storageView.elements) * width));
  }
  return decodeStateDict(root, budget);
}
