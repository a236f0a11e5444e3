/** Images to and from the model's input: pixels in [0, 1], height x width x channels (HWC). */

export type InputShape = [height: number, width: number, channels: number];

/** A sample's base64 bytes (0-255, HWC) as the model's input. */
export function samplePixels(base64: string): Float32Array {
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return Float32Array.from(bytes, (value) => value / 255);
}

/** Draws HWC pixels in [0, 1] on a new canvas, scaled up by `scale` (nearest neighbour). */
export function pixelsToCanvas(pixels: Float32Array, [height, width, channels]: InputShape, scale = 3): HTMLCanvasElement {
  const small = document.createElement('canvas');
  small.width = width;
  small.height = height;
  const context = small.getContext('2d')!;
  const image = context.createImageData(width, height);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) image.data[p * 4 + c] = Math.round(pixels[p * channels + (channels === 1 ? 0 : c)]! * 255);
    image.data[p * 4 + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  const canvas = document.createElement('canvas');
  canvas.width = width * scale;
  canvas.height = height * scale;
  const big = canvas.getContext('2d')!;
  big.imageSmoothingEnabled = false;
  big.drawImage(small, 0, 0, canvas.width, canvas.height);
  return canvas;
}

/** Any drawable image resized to the model's input, grey (luma) for one channel. */
export function imageToPixels(source: CanvasImageSource, [height, width, channels]: InputShape): Float32Array {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.fillStyle = '#000';
  context.fillRect(0, 0, width, height);
  context.drawImage(source, 0, 0, width, height);
  const { data } = context.getImageData(0, 0, width, height);
  const pixels = new Float32Array(height * width * channels);
  for (let p = 0; p < height * width; p++) {
    const [r, g, b] = [data[p * 4]!, data[p * 4 + 1]!, data[p * 4 + 2]!];
    if (channels === 1) pixels[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    else for (let c = 0; c < channels; c++) pixels[p * channels + c] = [r, g, b][c % 3]! / 255;
  }
  return pixels;
}
