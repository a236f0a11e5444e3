/** Channel conversion and bilinear resizing of 8-bit interleaved images. */

/** RGB(A) to 1 channel (ITU-R BT.601 luma, as PIL's "L") or 3 channels (alpha dropped). */
export function toChannels(data: Uint8Array, pixels: number, from: 3 | 4, to: 1 | 3): Uint8Array {
  const out = new Uint8Array(pixels * to);
  for (let p = 0, s = 0; p < pixels; p++, s += from) {
    if (to === 1) {
      out[p] = Math.round(0.299 * data[s] + 0.587 * data[s + 1] + 0.114 * data[s + 2]);
    } else {
      out[3 * p] = data[s];
      out[3 * p + 1] = data[s + 1];
      out[3 * p + 2] = data[s + 2];
    }
  }
  return out;
}

/**
 * Bilinear interpolation with half-pixel centres (as tf.image.resizeBilinear with halfPixelCenters,
 * and PIL without antialiasing): output pixel x samples the input at (x + 0.5) * scale - 0.5, clamped
 * to the image. Writes into `out` (which may be a view into the dataset's pixel buffer).
 */
export function resizeBilinear(
  src: Uint8Array,
  srcHeight: number,
  srcWidth: number,
  channels: number,
  out: Uint8Array,
  height: number,
  width: number,
): void {
  if (srcHeight === height && srcWidth === width) {
    out.set(src.subarray(0, height * width * channels));
    return;
  }
  const xs = samplePositions(srcWidth, width);
  const ys = samplePositions(srcHeight, height);
  for (let y = 0; y < height; y++) {
    const row0 = ys.low[y] * srcWidth;
    const row1 = ys.high[y] * srcWidth;
    const fy = ys.fraction[y];
    for (let x = 0; x < width; x++) {
      const fx = xs.fraction[x];
      const a = (row0 + xs.low[x]) * channels;
      const b = (row0 + xs.high[x]) * channels;
      const c = (row1 + xs.low[x]) * channels;
      const d = (row1 + xs.high[x]) * channels;
      const o = (y * width + x) * channels;
      for (let k = 0; k < channels; k++) {
        const top = src[a + k] + (src[b + k] - src[a + k]) * fx;
        const bottom = src[c + k] + (src[d + k] - src[c + k]) * fx;
        out[o + k] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
}

function samplePositions(srcSize: number, size: number) {
  const low = new Int32Array(size);
  const high = new Int32Array(size);
  const fraction = new Float32Array(size);
  const scale = srcSize / size;
  for (let i = 0; i < size; i++) {
    const position = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), srcSize - 1);
    low[i] = Math.floor(position);
    high[i] = Math.min(low[i] + 1, srcSize - 1);
    fraction[i] = position - low[i];
  }
  return { low, high, fraction };
}
