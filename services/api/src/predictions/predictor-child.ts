/**
 * An inference process of the API's predictor pool (never imported by the API: it loads TensorFlow.js).
 * It picks the fastest engine that loads, as training does, keeps recently used models in an LRU
 * bounded by PREDICT_CACHE_MEMORY, and answers one request at a time: the images are checked, decoded
 * and resized here (or the JSON instances parsed here), so none of that runs on the API's event loop.
 */
import type { Readable } from 'node:stream';
import { imageToInput, initEngine, loadExportedModel, predictProbabilities, topClasses } from '@trainyard/cnn';
import { isErrorCode, type ErrorCode } from '@trainyard/contracts';
import { openStorage } from '@trainyard/storage';
import { ModelCache } from './model-cache.js';
import { parseInstances } from './parse-instances.js';
import type { ChildError, ChildOptions, FromChild, ModelRef, PredictInputs, ToChild } from './protocol.js';

const options = JSON.parse(process.argv[2]!) as ChildOptions;
const send = (message: FromChild) => process.send!(message);

// The API gone (crashed or closed) means there is nobody to answer.
process.on('disconnect', () => process.exit(0));

const engine = await initEngine();
const storage = openStorage(options.storageUrl, { env: { ...process.env, ...options.storageEnv } });
type LoadedModel = Awaited<ReturnType<typeof loadExportedModel>>;

const models = new ModelCache<LoadedModel>(options.cacheBytes, (model) => model.dispose());

let work = Promise.resolve();
process.on('message', (message: ToChild) => {
  work = work.then(() => handle(message));
});
send({ type: 'ready', engine: engine.name });

async function handle(message: ToChild): Promise<void> {
  try {
    const inputs = prepareInputs(message.inputs, message.model.inputShape);
    let model = models.get(message.model.key);
    const cache = model ? 'hit' : 'miss';
    let evicted: string[] = [];
    if (!model) {
      evicted = models.makeRoom(weightBytes(message.model));
      model = await loadModel(message.model);
      models.add(message.model.key, model, weightBytes(message.model));
    }
    const probabilities = predictProbabilities(model, inputs, message.model.inputShape);
    const predictions = probabilities.map((row) => ({ top: topClasses(row, message.model.classNames, message.top) }));
    send({ type: 'result', id: message.id, predictions, cache, loaded: models.keys(), evicted });
  } catch (error) {
    send({ type: 'error', id: message.id, error: asChildError(error), loaded: models.keys() });
  }
}

function prepareInputs(inputs: PredictInputs, shape: [number, number, number]): Float32Array[] {
  if (inputs.kind === 'json') return parseInstances(inputs.body, shape, options.maxImages);
  // The dataset readers' pixel budget (MAX_IMAGE_PIXELS), checked on each header before decoding.
  return inputs.images.map((image) => imageToInput(image.bytes, shape, { file: image.name }, { maxImagePixels: options.maxImagePixels }));
}

/** The float32 weights, as stored in the shards: what the loaded model holds in memory. */
function weightBytes(model: ModelRef): number {
  return model.files.filter((file) => file.path.endsWith('.bin')).reduce((sum, file) => sum + file.bytes, 0);
}

async function loadModel(ref: ModelRef): Promise<LoadedModel> {
  const files = await Promise.all(
    ref.files
      .filter((file) => file.path !== 'manifest.json')
      .map(async (file) => ({
        path: file.path,
        bytes: await readAll(await storage.get(`${ref.storagePrefix}${file.path}`)),
      })),
  );
  return loadExportedModel(files);
}

async function readAll(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const KNOWN_ERRORS = { ApiError: true, CnnError: true };

/** ApiErrors and the CNN package's CnnErrors keep their codes; anything else is our bug. */
function asChildError(error: unknown): ChildError {
  const e = error as { code?: unknown; message?: unknown; details?: unknown };
  if ((e as Error)?.name in KNOWN_ERRORS && isErrorCode(e.code)) {
    return { code: e.code as ErrorCode, message: String(e.message), details: safeDetails(e.details) };
  }
  if (typeof e?.code === 'string' && e.code.startsWith('storage_')) {
    return { code: 'storage_unavailable', message: 'Object storage could not be reached to load the model; retry later.' };
  }
  process.stderr.write(`prediction failed: ${(error as Error)?.stack ?? String(error)}\n`);
  return { code: 'internal', message: 'The prediction failed; it was logged.' };
}

function safeDetails(details: unknown): unknown {
  try {
    return structuredClone(details);
  } catch {
    return undefined;
  }
}
