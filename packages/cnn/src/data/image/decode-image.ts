/**
 * Decodes a PNG (pngjs) or JPEG (jpeg-js) whose header was already read and checked against the
 * pixel limit. Both decoders are pure JavaScript, so nothing native is loaded to validate an upload.
 */
import { inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { isCnnError } from '../../errors.js';
import { malformed, type Where } from '../dataset-errors.js';
import type { ImageHeader } from './image-header.js';

export interface DecodedImage {
  width: number;
  height: number;
  /** Interleaved, 8 bits per channel: RGB (JPEG) or RGBA (PNG). */
  channels: 3 | 4;
  data: Uint8Array;
}

export function decodeImage(bytes: Buffer, header: ImageHeader, where: Where): DecodedImage {
  try {
    const image = header.type === 'png' ? decodePng(bytes, header, where) : decodeJpeg(bytes, header);
    if (image.width !== header.width || image.height !== header.height) {
      throw malformed(where, `decodes to ${image.width}x${image.height} pixels but its header says ${header.width}x${header.height}`);
    }
    return image;
  } catch (error) {
    if (isCnnError(error)) throw error;
    const kind = header.type === 'png' ? 'PNG' : 'JPEG';
    throw malformed(where, `is not a valid ${kind} image (${(error as Error).message})`);
  }
}

function decodePng(bytes: Buffer, header: ImageHeader, where: Where): DecodedImage {
  if (header.interlaced) checkInterlacedPngSize(bytes, header, where);
  const png = PNG.sync.read(bytes);
  return { width: png.width, height: png.height, channels: 4, data: png.data };
}

function decodeJpeg(bytes: Buffer, header: ImageHeader): DecodedImage {
  const megapixels = (header.width * header.height) / 1e6;
  const image = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    // The pixel limit was checked on the header; these only stop jpeg-js if the header lied.
    maxResolutionInMP: Math.max(1, Math.ceil(megapixels)),
    maxMemoryUsageInMB: Math.max(512, Math.ceil(megapixels * 16)),
  });
  return { width: image.width, height: image.height, channels: 3, data: image.data };
}

/**
 * pngjs caps the inflated size of ordinary PNGs at what the header implies, but inflates interlaced
 * ones without a cap: a tiny interlaced PNG could inflate to gigabytes. Inflate its data once with a
 * cap first (twice the non-interlaced size is more than Adam7's extra filter bytes ever need).
 */
function checkInterlacedPngSize(bytes: Buffer, header: ImageHeader, where: Where): void {
  const idat: Buffer[] = [];
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (type === 'IDAT') idat.push(bytes.subarray(offset + 8, offset + 8 + length));
    if (type === 'IEND') break;
    offset += 12 + length;
  }
  const rowBytes = 1 + Math.ceil((header.width * 8 * 8) / 8); // at most 4 channels of 16 bits
  const cap = 2 * rowBytes * header.height + 1024;
  try {
    inflateSync(Buffer.concat(idat), { maxOutputLength: cap });
  } catch (error) {
    throw malformed(
      where,
      `is not a valid PNG image (its data does not inflate to the size its header declares: ${(error as Error).message})`,
    );
  }
}
