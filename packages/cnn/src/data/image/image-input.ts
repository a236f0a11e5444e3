/**
 * One PNG or JPEG file as a model input, prepared exactly as an image folder's images are for
 * training: the header is read and checked against the pixel budget before anything is decoded, then
 * the image is decoded, converted to the model's channels, resized bilinearly to its height and width
 * (8-bit, as the dataset buffer holds it) and scaled to [0, 1] as a batch is.
 */
import type { InputShape } from '../../types.js';
import type { Where } from '../dataset-errors.js';
import { DEFAULT_LIMITS } from '../options.js';
import { decodeImage } from './decode-image.js';
import { checkImagePixels, readImageHeader } from './image-header.js';
import { resizeBilinear, toChannels } from './pixels.js';

export interface ImageInputLimits {
  /** Width x height of the image, checked on its header before it is decoded. */
  maxImagePixels: number;
}

/** Throws dataset_malformed, dataset_unsupported or image_pixels_limit (naming `where`) for a bad image. */
export function imageToInput(
  bytes: Uint8Array,
  shape: InputShape,
  where: Where,
  limits: ImageInputLimits = { maxImagePixels: DEFAULT_LIMITS.maxImagePixels },
): Float32Array {
  const [height, width, channels] = shape;
  const header = readImageHeader(bytes, where);
  checkImagePixels(header, where, limits.maxImagePixels);
  const decoded = decodeImage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), header, where);
  const converted = toChannels(decoded.data, decoded.width * decoded.height, decoded.channels, channels as 1 | 3);
  const resized = new Uint8Array(height * width * channels);
  resizeBilinear(converted, decoded.height, decoded.width, channels, resized, height, width);
  const input = new Float32Array(resized.length);
  for (let i = 0; i < resized.length; i++) input[i] = resized[i] / 255;
  return input;
}
