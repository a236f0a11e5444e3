/**
 * Reads what an image says about itself (type, size, grayscale or colour) from its first bytes,
 * without decoding it: enough to choose the dataset's image size and channels, and to refuse a file
 * that claims to be an image and is not, or one so large that decoding it would exhaust memory.
 */
import { malformed, tooManyPixels, unsupported, type Where } from '../dataset-errors.js';

export type ImageType = 'png' | 'jpeg';

export interface ImageHeader {
  type: ImageType;
  width: number;
  height: number;
  grayscale: boolean;
  /** PNG Adam7 interlacing (decoded differently, see decode-image.ts). */
  interlaced: boolean;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_GRAY = 0;
const PNG_GRAY_ALPHA = 4;
const PNG_BIT_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

export function imageTypeOf(bytes: Uint8Array): ImageType | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** Throws image_pixels_limit for an image of more than `maxImagePixels` (width x height), before it is decoded. */
export function checkImagePixels(header: ImageHeader, where: Where, maxImagePixels: number): void {
  const pixels = header.width * header.height;
  if (pixels > maxImagePixels) {
    throw tooManyPixels(
      'image_pixels_limit',
      where,
      `is an image of ${header.width}x${header.height} pixels`,
      {
        option: 'maxImagePixels',
        value: maxImagePixels,
      },
      pixels,
    );
  }
}

/** Throws dataset_malformed for anything that is not a well-formed PNG or JPEG header. */
export function readImageHeader(bytes: Uint8Array, where: Where): ImageHeader {
  const type = imageTypeOf(bytes);
  if (type === 'png') return readPngHeader(bytes, where);
  if (type === 'jpeg') return readJpegHeader(bytes, where);
  throw malformed(where, 'is named as an image but is neither a PNG nor a JPEG file (its first bytes do not match)', {
    firstBytes: Buffer.from(bytes.subarray(0, 8)).toString('hex'),
  });
}

function readPngHeader(bytes: Uint8Array, where: Where): ImageHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isIhdr = bytes.length >= 33 && view.getUint32(8) === 13 && String.fromCharCode(...bytes.subarray(12, 16)) === 'IHDR';
  if (!isIhdr) throw malformed(where, 'is not a valid PNG image (truncated, or its first chunk is not IHDR)');
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const bitDepth = bytes[24];
  const colorType = bytes[25];
  if (width === 0 || height === 0) throw malformed(where, `is a PNG image of ${width}x${height} pixels`);
  if (!PNG_BIT_DEPTHS[colorType]?.includes(bitDepth)) {
    throw malformed(where, `is not a valid PNG image (colour type ${colorType} with bit depth ${bitDepth})`);
  }
  return { type: 'png', width, height, grayscale: colorType === PNG_GRAY || colorType === PNG_GRAY_ALPHA, interlaced: bytes[28] === 1 };
}

/** Markers of a JPEG frame header (SOFn), and those jpeg-js decodes (baseline, extended, progressive). */
const JPEG_FRAME_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const JPEG_DECODABLE_FRAMES = new Set([0xc0, 0xc1, 0xc2]);
const JPEG_START_OF_SCAN = 0xda;
const JPEG_END_OF_IMAGE = 0xd9;

function readJpegHeader(bytes: Uint8Array, where: Where): ImageHeader {
  let i = 2;
  while (i + 1 < bytes.length) {
    if (bytes[i] !== 0xff) throw malformed(where, `is not a valid JPEG image (no marker at byte ${i})`);
    while (bytes[i + 1] === 0xff && i + 2 < bytes.length) i++; // fill bytes
    const marker = bytes[i + 1];
    i += 2;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue; // markers without a length
    if (marker === JPEG_END_OF_IMAGE || marker === JPEG_START_OF_SCAN) break;
    if (i + 2 > bytes.length) break;
    const length = (bytes[i] << 8) | bytes[i + 1];
    if (length < 2) throw malformed(where, `is not a valid JPEG image (segment length ${length} at byte ${i})`);
    if (JPEG_FRAME_MARKERS.has(marker)) {
      if (i + 8 > bytes.length) break;
      if (!JPEG_DECODABLE_FRAMES.has(marker)) {
        throw unsupported(
          where,
          `is a lossless, hierarchical or arithmetic-coded JPEG (marker 0xFF${marker.toString(16).toUpperCase()}); only baseline and progressive JPEGs are supported`,
        );
      }
      const height = (bytes[i + 3] << 8) | bytes[i + 4];
      const width = (bytes[i + 5] << 8) | bytes[i + 6];
      const components = bytes[i + 7];
      if (width === 0 || height === 0) throw unsupported(where, `is a JPEG image that declares ${width}x${height} pixels`);
      if (components !== 1 && components !== 3 && components !== 4) {
        throw unsupported(where, `is a JPEG image with ${components} colour components; 1, 3 or 4 are supported`);
      }
      return { type: 'jpeg', width, height, grayscale: components === 1, interlaced: false };
    }
    i += length;
  }
  throw malformed(where, 'is not a valid JPEG image (no frame header before the image data, or truncated)');
}
