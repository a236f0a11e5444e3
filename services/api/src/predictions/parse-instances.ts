/**
 * The JSON form of a prediction request, `{ "instances": [H x W x C arrays of numbers in [0, 1]] }`,
 * parsed and checked against the model's input shape in the inference process (a 30 MB body takes
 * the JSON parser a few hundred milliseconds, which the API's event loop must not spend).
 */
import { isUtf8 } from 'node:buffer';
import { ApiError } from '@trainyard/contracts';

export function parseInstances(body: Uint8Array, shape: [number, number, number], maxImages: number): Float32Array[] {
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (buffer.length === 0)
    throw new ApiError('invalid_json', 'The request body is empty; send { "instances": [...] } or multipart images.');
  if (!isUtf8(buffer)) throw new ApiError('invalid_json', 'The request body is not valid UTF-8.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(buffer.toString('utf8'));
  } catch (error) {
    throw new ApiError('invalid_json', `The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw schemaError('body', 'type', 'must be an object with an "instances" array');
  }
  const unknown = Object.keys(parsed).find((key) => key !== 'instances');
  if (unknown !== undefined) throw schemaError(`body.${unknown.slice(0, 50)}`, 'additionalProperties', 'is not a known field');
  const instances = (parsed as { instances?: unknown }).instances;
  if (!Array.isArray(instances)) throw schemaError('body.instances', 'type', 'must be an array');
  if (instances.length === 0) throw schemaError('body.instances', 'minItems', 'must hold at least one instance');
  if (instances.length > maxImages) {
    throw new ApiError('predict_images_limit', `${instances.length} instances; PREDICT_MAX_IMAGES allows ${maxImages} per request.`, {
      limit: maxImages,
      variable: 'PREDICT_MAX_IMAGES',
    });
  }
  return instances.map((instance, index) => toInput(instance, index, shape));
}

function schemaError(path: string, rule: string, message: string): ApiError {
  return new ApiError('validation_failed', `${path} ${message}.`, [{ path, rule, message }]);
}

function toInput(instance: unknown, index: number, shape: [number, number, number]): Float32Array {
  const [height, width, channels] = shape;
  const wrong = (problem: string) =>
    new ApiError(
      'prediction_input_invalid',
      `instances[${index}] ${problem}; the model takes ${height} x ${width} x ${channels} pixels in [0, 1].`,
      {
        instance: index,
        inputShape: shape,
      },
    );
  const input = new Float32Array(height * width * channels);
  if (!Array.isArray(instance) || instance.length !== height) throw wrong(`is not an array of ${height} rows`);
  let offset = 0;
  for (let y = 0; y < height; y++) {
    const row: unknown = instance[y];
    if (!Array.isArray(row) || row.length !== width) throw wrong(`row ${y} is not an array of ${width} pixels`);
    for (let x = 0; x < width; x++) {
      const pixel: unknown = row[x];
      if (!Array.isArray(pixel) || pixel.length !== channels) throw wrong(`pixel [${y}][${x}] is not an array of ${channels} values`);
      for (let c = 0; c < channels; c++) {
        const value: unknown = pixel[c];
        if (typeof value !== 'number' || !(value >= 0 && value <= 1))
          throw wrong(`pixel [${y}][${x}] has a value that is not a number in [0, 1]`);
        input[offset++] = value;
      }
    }
  }
  return input;
}
