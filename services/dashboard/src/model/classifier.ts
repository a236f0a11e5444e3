/**
 * The trained model in the browser: TensorFlow.js (loaded only when first needed) reads model.json
 * and its weights straight from the API with the key in `requestInit`, exactly as any tfjs program
 * would. The exported model takes pixels in [0, 1] and ends in a softmax (its manifest says so).
 */
import { api, authHeaders } from '../api/client.js';
import type { InputShape } from './pixels.js';

interface Manifest {
  architecture: string;
  inputShape: InputShape;
  classNames: string[];
  engine: string;
}

export interface Prediction {
  label: number;
  className: string;
  probability: number;
}

export interface Classifier {
  manifest: Manifest;
  backend: string;
  /** Class probabilities of each image, best first. */
  classify(images: Float32Array[]): Promise<Prediction[][]>;
}

const loaded = new Map<string, Promise<Classifier>>();

export function modelJsonUrl(jobId: string): string {
  return `${location.origin}/v1/jobs/${jobId}/model/model.json`;
}

async function load(jobId: string): Promise<Classifier> {
  const [tf, manifest] = await Promise.all([
    import('@tensorflow/tfjs'),
    api.jobs.modelFile(jobId, 'manifest.json').then((response) => response.json() as Promise<Manifest>),
  ]);
  await tf.ready();
  const model = await tf.loadLayersModel(modelJsonUrl(jobId), { requestInit: { headers: authHeaders() } });
  const [height, width, channels] = manifest.inputShape;
  return {
    manifest,
    backend: tf.getBackend(),
    async classify(images) {
      const batch = new Float32Array(images.length * height * width * channels);
      images.forEach((image, i) => batch.set(image, i * image.length));
      const output = tf.tidy(
        () => model.predict(tf.tensor4d(batch, [images.length, height, width, channels])) as import('@tensorflow/tfjs').Tensor,
      );
      const probabilities = (await output.array()) as number[][];
      output.dispose();
      return probabilities.map((row) =>
        row
          .map((probability, label) => ({ label, probability, className: manifest.classNames[label] ?? String(label) }))
          .sort((a, b) => b.probability - a.probability),
      );
    },
  };
}

/** One load per job and page. */
export function classifierFor(jobId: string): Promise<Classifier> {
  let classifier = loaded.get(jobId);
  if (!classifier) {
    classifier = load(jobId);
    classifier.catch(() => loaded.delete(jobId));
    loaded.set(jobId, classifier);
  }
  return classifier;
}
