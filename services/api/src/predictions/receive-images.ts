/**
 * Reads the `images` parts of a multipart prediction request into memory, counting images against
 * PREDICT_MAX_IMAGES and bytes against PREDICT_BODY_LIMIT as they arrive, so that an oversized
 * request is refused before it is read whole. The bytes are checked and decoded in the inference
 * process, not here.
 */
import type { FastifyRequest } from 'fastify';
import { ApiError } from '@trainyard/contracts';

export interface ReceivedImage {
  /** The client's file name (or images[i]), used in error messages. */
  name: string;
  bytes: Uint8Array;
}

export interface ImageLimits {
  maxImages: number;
  bodyLimitBytes: number;
}

function imagesLimitError(count: number, maxImages: number): ApiError {
  return new ApiError('predict_images_limit', `More than ${maxImages} images; PREDICT_MAX_IMAGES allows ${maxImages} per request.`, {
    limit: maxImages,
    variable: 'PREDICT_MAX_IMAGES',
    received: count,
  });
}

export function bodyLimitError(limitBytes: number): ApiError {
  return new ApiError('predict_body_too_large', `The request is larger than ${limitBytes} bytes (PREDICT_BODY_LIMIT).`, {
    limit: limitBytes,
    variable: 'PREDICT_BODY_LIMIT',
  });
}

function invalid(message: string, path: string): ApiError {
  return new ApiError('validation_failed', message, [{ path, rule: 'multipart' }]);
}

/** The multipart plugin's own limits, set one above ours so that ours are the ones that answer. */
const PLUGIN_LIMIT_CODES = new Set(['FST_FILES_LIMIT', 'FST_PARTS_LIMIT', 'FST_REQ_FILE_TOO_LARGE']);

export async function receiveImages(request: FastifyRequest, limits: ImageLimits): Promise<ReceivedImage[]> {
  const images: ReceivedImage[] = [];
  let total = 0;
  try {
    const parts = request.parts({
      limits: { files: limits.maxImages + 1, parts: limits.maxImages + 2, fields: 1, fileSize: limits.bodyLimitBytes + 1 },
    });
    for await (const part of parts) {
      if (part.type === 'field')
        throw invalid(
          `Unknown field "${part.fieldname.slice(0, 50)}"; send the images as file parts named images.`,
          `multipart.${part.fieldname.slice(0, 50)}`,
        );
      if (part.fieldname !== 'images') {
        throw invalid(
          `Unknown file part "${part.fieldname.slice(0, 50)}"; name each image part images.`,
          `multipart.${part.fieldname.slice(0, 50)}`,
        );
      }
      if (images.length === limits.maxImages) throw imagesLimitError(images.length + 1, limits.maxImages);
      const chunks: Buffer[] = [];
      for await (const chunk of part.file) {
        total += (chunk as Buffer).length;
        if (total > limits.bodyLimitBytes) throw bodyLimitError(limits.bodyLimitBytes);
        chunks.push(chunk as Buffer);
      }
      images.push({ name: (part.filename || `images[${images.length}]`).slice(0, 200), bytes: Buffer.concat(chunks) });
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && PLUGIN_LIMIT_CODES.has(code)) {
      throw code === 'FST_REQ_FILE_TOO_LARGE'
        ? bodyLimitError(limits.bodyLimitBytes)
        : imagesLimitError(images.length + 1, limits.maxImages);
    }
    throw error;
  }
  if (images.length === 0) throw invalid('No images: send one or more PNG or JPEG files as parts named images.', 'multipart.images');
  return images;
}
