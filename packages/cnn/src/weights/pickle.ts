/**
 * A restricted unpickler: it reads the pickles torch.save writes for a state_dict and nothing else.
 * Python's unpickler is a small virtual machine whose GLOBAL and REDUCE opcodes import and call any
 * function named in the file (`os.system` included); this one knows only the opcodes a state_dict
 * uses and resolves only the globals torch.load(weights_only=True) allows for one: OrderedDict, the
 * tensor-rebuilding functions (_rebuild_tensor_v2, the pre-0.4 _rebuild_tensor, _rebuild_parameter,
 * Parameter) and the storage types. Anything else is refused with weights_unsafe
 * before it is acted on. It never recurses, and every length is checked against the bytes left
 * before anything is allocated.
 */
import type { StateDictDtype } from './state-dict.js';
import { malformed, unsafe } from './weights-errors.js';

/** A global the file names, resolved to one of the few we allow. */
export type AllowedGlobal =
  | { kind: 'ordered-dict' }
  | { kind: 'rebuild-tensor' }
  | { kind: 'rebuild-parameter' }
  | { kind: 'storage-type'; dtype: StateDictDtype; name: string };

export class PickleGlobal {
  constructor(readonly resolved: AllowedGlobal) {}
}

export type PickleKey = string | number | bigint | boolean | null;
export type PickleValue = PickleKey | Uint8Array | PickleValue[] | Map<PickleKey, PickleValue> | PickleGlobal | ExternalValue;

/** What the caller's hooks put on the stack (storages, tensors). */
export abstract class ExternalValue {}

export interface UnpickleHooks {
  /** BINPERSID: torch's reference to a storage stored outside the pickle. */
  persistentLoad(pid: PickleValue): PickleValue;
  /** torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]), or _rebuild_tensor's first four. */
  rebuildTensor(args: PickleValue[]): PickleValue;
}

const STORAGE_TYPES: Record<string, StateDictDtype> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

function resolveGlobal(module: string, name: string): PickleGlobal {
  const qualified = `${module}.${name}`;
  if (qualified === 'collections.OrderedDict') return new PickleGlobal({ kind: 'ordered-dict' });
  // _rebuild_tensor is what torch < 0.4 wrote (published torchvision files of that time use it).
  if (qualified === 'torch._utils._rebuild_tensor_v2' || qualified === 'torch._utils._rebuild_tensor')
    return new PickleGlobal({ kind: 'rebuild-tensor' });
  if (qualified === 'torch._utils._rebuild_parameter' || qualified === 'torch.nn.parameter.Parameter')
    return new PickleGlobal({ kind: 'rebuild-parameter' });
  if (module === 'torch' && Object.hasOwn(STORAGE_TYPES, name)) {
    return new PickleGlobal({ kind: 'storage-type', dtype: STORAGE_TYPES[name], name });
  }
  const hint = /^(torch\.nn|torchvision)\./.test(qualified)
    ? ' (the file holds a whole pickled model: save model.state_dict() instead)'
    : '';
  throw unsafe(`it names the global ${JSON.stringify(qualified)}, which a state_dict never needs${hint}`, { global: qualified });
}

// The opcodes a state_dict's pickle uses (protocols 2 to 4), by byte.
const OP = {
  MARK: 0x28, // (
  STOP: 0x2e, // .
  POP: 0x30, // 0
  POP_MARK: 0x31, // 1
  DUP: 0x32, // 2
  BINFLOAT: 0x47, // G
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  NONE: 0x4e, // N
  BINPERSID: 0x51, // Q
  REDUCE: 0x52, // R
  BINSTRING: 0x54, // T
  SHORT_BINSTRING: 0x55, // U
  BINUNICODE: 0x58, // X
  EMPTY_LIST: 0x5d, // ]
  APPEND: 0x61, // a
  BUILD: 0x62, // b
  GLOBAL: 0x63, // c
  DICT: 0x64, // d
  APPENDS: 0x65, // e
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  LIST: 0x6c, // l
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  SETITEM: 0x73, // s
  TUPLE: 0x74, // t
  SETITEMS: 0x75, // u
  EMPTY_DICT: 0x7d, // }
  EMPTY_TUPLE: 0x29, // )
  BINBYTES: 0x42, // B
  SHORT_BINBYTES: 0x43, // C
  PROTO: 0x80,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  SHORT_BINUNICODE: 0x8c,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
} as const;

/** Valid pickle opcodes a state_dict never uses: refused as unsafe (they build or call arbitrary objects). */
const REFUSED_OPS: Record<number, string> = {
  0x69: 'INST',
  0x6f: 'OBJ',
  0x81: 'NEWOBJ',
  0x92: 'NEWOBJ_EX',
  0x50: 'PERSID',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x49: 'INT',
  0x4c: 'LONG',
  0x53: 'STRING',
  0x56: 'UNICODE',
  0x46: 'FLOAT',
  0x67: 'GET',
  0x70: 'PUT',
  0x8b: 'LONG4',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

const LONGEST_GLOBAL_NAME = 256;
/** DenseNet-201's state_dict, torchvision's largest in tensors (1,207), counts about 86,000. */
const MAX_VALUES = 1_000_000;
const CONTAINER_COST = 8;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

class Machine {
  private pos: number;
  private readonly stack: PickleValue[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private held = 0;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly hooks: UnpickleHooks,
    private readonly what: string,
  ) {
    this.pos = start;
  }

  private push(value: PickleValue): void {
    this.charge(value instanceof Map || Array.isArray(value) ? CONTAINER_COST : 1);
    this.stack.push(value);
  }

  /**
   * Counts every value the pickle makes us hold (on the stack, in a container, in the memo), a
   * container as CONTAINER_COST. Each opcode is a byte or a few but may cost a hundred bytes of
   * objects: without a cap, a pickle of 100 MB of EMPTY_DICT opcodes would take gigabytes.
   */
  private charge(cost: number): void {
    this.held += cost;
    if (this.held > MAX_VALUES) this.fail(`it builds more than ${MAX_VALUES} values, far more than any state_dict`);
  }

  private fail(problem: string): never {
    throw malformed(`${this.what}: ${problem} (at byte ${this.pos})`);
  }

  private take(length: number): Uint8Array {
    if (length < 0 || length > this.bytes.length - this.pos) this.fail(`a length of ${length} runs past the end`);
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  private u8(): number {
    return this.take(1)[0];
  }

  private u16(): number {
    const b = this.take(2);
    return b[0] | (b[1] << 8);
  }

  private i32(): number {
    const b = this.take(4);
    return b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
  }

  private u32(): number {
    return this.i32() >>> 0;
  }

  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0 || end - this.pos > LONGEST_GLOBAL_NAME) this.fail('a global name is not terminated');
    const text = latin1.decode(this.take(end - this.pos));
    this.pos += 1;
    return text;
  }

  private text(length: number): string {
    try {
      return utf8.decode(this.take(length));
    } catch (error) {
      if (error instanceof TypeError) this.fail('a string is not valid UTF-8');
      throw error;
    }
  }

  private pop(): PickleValue {
    const floor = this.marks.length > 0 ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length <= floor) this.fail('the stack is empty');
    return this.stack.pop()!;
  }

  private top(): PickleValue {
    const floor = this.marks.length > 0 ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length <= floor) this.fail('the stack is empty');
    return this.stack[this.stack.length - 1];
  }

  private popMark(): PickleValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.fail('no mark to pop to');
    return this.stack.splice(mark);
  }

  private long(length: number): number | bigint {
    if (length > 16) this.fail(`a ${length}-byte integer`);
    const b = this.take(length);
    let value = 0n;
    for (let i = length - 1; i >= 0; i--) value = (value << 8n) | BigInt(b[i]);
    if (length > 0 && b[length - 1] & 0x80) value -= 1n << BigInt(8 * length);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private asKey(value: PickleValue): PickleKey {
    if (value === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof value)) return value as PickleKey;
    this.fail('a dictionary key is not a string or number');
  }

  private setItems(target: PickleValue, items: PickleValue[]): void {
    if (!(target instanceof Map)) this.fail('SETITEM on something that is not a dictionary');
    if (items.length % 2 !== 0) this.fail('SETITEMS with an odd number of items');
    this.charge(items.length);
    for (let i = 0; i < items.length; i += 2) target.set(this.asKey(items[i]), items[i + 1]);
  }

  private append(target: PickleValue, items: PickleValue[]): void {
    if (!Array.isArray(target)) this.fail('APPEND on something that is not a list');
    this.charge(items.length);
    for (const item of items) target.push(item);
  }

  private reduce(callable: PickleValue, args: PickleValue): PickleValue {
    if (!(callable instanceof PickleGlobal)) throw unsafe('it calls something that is not an allowed function');
    if (!Array.isArray(args)) this.fail('REDUCE without an argument tuple');
    const global = callable.resolved;
    switch (global.kind) {
      case 'ordered-dict':
        if (args.length !== 0) throw unsafe('it builds an OrderedDict from arguments');
        return new Map();
      case 'rebuild-tensor':
        return this.hooks.rebuildTensor(args);
      case 'rebuild-parameter':
        if (args.length < 1) this.fail('_rebuild_parameter without a tensor');
        return args[0];
      case 'storage-type':
        throw unsafe(`it calls the storage type torch.${global.name}`);
    }
  }

  run(): { value: PickleValue; end: number } {
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      switch (op) {
        case OP.PROTO: {
          const version = this.u8();
          if (version < 2 || version > 5) this.fail(`pickle protocol ${version}`);
          break;
        }
        case OP.FRAME:
          this.take(8);
          break;
        case OP.STOP:
          if (this.marks.length > 0 || this.stack.length !== 1) this.fail('STOP with a stack that is not one value');
          return { value: this.stack[0], end: this.pos };
        case OP.MARK:
          this.marks.push(this.stack.length);
          break;
        case OP.POP:
          this.pop();
          break;
        case OP.POP_MARK:
          this.popMark();
          break;
        case OP.DUP:
          this.push(this.top());
          break;
        case OP.NONE:
          this.push(null);
          break;
        case OP.NEWTRUE:
          this.push(true);
          break;
        case OP.NEWFALSE:
          this.push(false);
          break;
        case OP.BININT:
          this.push(this.i32());
          break;
        case OP.BININT1:
          this.push(this.u8());
          break;
        case OP.BININT2:
          this.push(this.u16());
          break;
        case OP.LONG1:
          this.push(this.long(this.u8()));
          break;
        case OP.BINFLOAT: {
          const b = this.take(8);
          this.push(new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, false));
          break;
        }
        case OP.BINUNICODE:
          this.push(this.text(this.u32()));
          break;
        case OP.SHORT_BINUNICODE:
          this.push(this.text(this.u8()));
          break;
        case OP.BINSTRING:
          this.push(latin1.decode(this.take(this.i32())));
          break;
        case OP.SHORT_BINSTRING:
          this.push(latin1.decode(this.take(this.u8())));
          break;
        case OP.BINBYTES:
          this.push(this.take(this.u32()));
          break;
        case OP.SHORT_BINBYTES:
          this.push(this.take(this.u8()));
          break;
        case OP.EMPTY_TUPLE:
        case OP.EMPTY_LIST:
          this.push([]);
          break;
        case OP.EMPTY_DICT:
          this.push(new Map());
          break;
        case OP.TUPLE:
        case OP.LIST:
          this.push(this.popMark());
          break;
        case OP.TUPLE1:
          this.push([this.pop()]);
          break;
        case OP.TUPLE2: {
          const b = this.pop();
          this.push([this.pop(), b]);
          break;
        }
        case OP.TUPLE3: {
          const c = this.pop();
          const b = this.pop();
          this.push([this.pop(), b, c]);
          break;
        }
        case OP.DICT: {
          const dict = new Map<PickleKey, PickleValue>();
          this.setItems(dict, this.popMark());
          this.push(dict);
          break;
        }
        case OP.SETITEM: {
          const value = this.pop();
          const key = this.pop();
          this.setItems(this.top(), [key, value]);
          break;
        }
        case OP.SETITEMS: {
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case OP.APPEND: {
          const item = this.pop();
          this.append(this.top(), [item]);
          break;
        }
        case OP.APPENDS: {
          const items = this.popMark();
          this.append(this.top(), items);
          break;
        }
        case OP.BINPUT:
          this.charge(1);
          this.memo.set(this.u8(), this.top());
          break;
        case OP.LONG_BINPUT:
          this.charge(1);
          this.memo.set(this.u32(), this.top());
          break;
        case OP.MEMOIZE:
          this.charge(1);
          this.memo.set(this.memo.size, this.top());
          break;
        case OP.BINGET:
        case OP.LONG_BINGET: {
          const index = op === OP.BINGET ? this.u8() : this.u32();
          if (!this.memo.has(index)) this.fail(`memo entry ${index} was never stored`);
          this.push(this.memo.get(index)!);
          break;
        }
        case OP.GLOBAL: {
          const module = this.line();
          this.push(resolveGlobal(module, this.line()));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL without two strings');
          this.push(resolveGlobal(module, name));
          break;
        }
        case OP.REDUCE: {
          const args = this.pop();
          const callable = this.pop();
          this.push(this.reduce(callable, args));
          break;
        }
        case OP.BUILD: {
          // OrderedDict's state (its _metadata attribute): read and dropped, like torch's own loader keeps it aside.
          this.pop();
          if (!(this.top() instanceof Map)) throw unsafe('it sets the state of an object that is not an OrderedDict');
          break;
        }
        case OP.BINPERSID:
          this.push(this.hooks.persistentLoad(this.pop()));
          break;
        default:
          this.pos = at;
          if (Object.hasOwn(REFUSED_OPS, op)) {
            throw unsafe(`${this.what} uses the pickle opcode ${REFUSED_OPS[op]}, which a state_dict never needs`, {
              opcode: REFUSED_OPS[op],
            });
          }
          this.fail(`0x${op.toString(16).padStart(2, '0')} is not a pickle opcode`);
      }
    }
  }
}

/** Reads one pickle starting at `start`; `what` names it in error messages. */
export function unpickle(bytes: Uint8Array, start: number, hooks: UnpickleHooks, what: string): { value: PickleValue; end: number } {
  return new Machine(bytes, start, hooks, what).run();
}

/** Hooks for a pickle that must hold no tensors (torch's legacy header pickles). */
export const NO_TENSORS: UnpickleHooks = {
  persistentLoad: () => {
    throw malformed('a storage reference where none belongs');
  },
  rebuildTensor: () => {
    throw malformed('a tensor where none belongs');
  },
};
