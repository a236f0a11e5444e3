import * as tf from '@tensorflow/tfjs';
import type { OnednnBackend } from '../backend.js';
import { BACKEND_NAME } from '../names.js';

/** The onednn backend when it is tfjs's active backend, else null (fast paths then step aside). */
export function activeOnednn(): OnednnBackend | null {
  return tf.getBackend() === BACKEND_NAME ? (tf.backend() as OnednnBackend) : null;
}
