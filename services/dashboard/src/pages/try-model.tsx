/**
 * "Try the model": draw on the canvas, drop an image file, or click a sample image above; the
 * browser classifies it with the trained model, loaded by TensorFlow.js from the API's model.json.
 */
import { h, replaceChildren } from '../dom/h.js';
import { ErrorBox } from '../components.js';
import { classifierFor, modelJsonUrl, type Prediction } from '../model/classifier.js';
import { imageToPixels } from '../model/pixels.js';
import { sampleChosen } from './samples-section.js';

const SIZE = 280;

function PredictionBars(props: { ranked: Prediction[] }): Element {
  return (
    <ol class="predictions" data-testid="predictions">
      {props.ranked.slice(0, 5).map((p) => (
        <li>
          <span class="prediction-name">{p.className}</span>
          <span class="bar">
            <span class="bar-fill" style={{ width: `${(p.probability * 100).toFixed(1)}%` }} />
          </span>
          <span class="num">{(p.probability * 100).toFixed(1)}%</span>
        </li>
      ))}
    </ol>
  );
}

export function tryModelSection(jobId: string): Element {
  const canvas = (<canvas width={SIZE} height={SIZE} class="draw" data-testid="draw-canvas" />) as HTMLCanvasElement;
  const context = canvas.getContext('2d')!;
  const output = <div class="prediction-output">Draw, drop an image, or click a sample image, then classify.</div>;
  const clear = () => {
    context.fillStyle = '#000';
    context.fillRect(0, 0, SIZE, SIZE);
  };
  clear();

  const classify = async () => {
    try {
      output.textContent = 'Loading the model…';
      const classifier = await classifierFor(jobId);
      const [ranked] = await classifier.classify([imageToPixels(canvas, classifier.manifest.inputShape)]);
      replaceChildren(output, <PredictionBars ranked={ranked!} />);
    } catch (error) {
      replaceChildren(output, <ErrorBox error={error} />);
    }
  };

  // Drawing: a thick white pen on black, like the training images.
  let drawing = false;
  const point = (event: PointerEvent): [number, number] => {
    const box = canvas.getBoundingClientRect();
    return [((event.clientX - box.left) / box.width) * SIZE, ((event.clientY - box.top) / box.height) * SIZE];
  };
  canvas.addEventListener('pointerdown', (event) => {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    context.beginPath();
    context.moveTo(...point(event));
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!drawing) return;
    context.strokeStyle = '#fff';
    context.lineWidth = 22;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.lineTo(...point(event));
    context.stroke();
  });
  canvas.addEventListener('pointerup', () => {
    drawing = false;
    void classify();
  });

  const drawImage = (image: CanvasImageSource) => {
    clear();
    context.drawImage(image, 0, 0, SIZE, SIZE);
    void classify();
  };
  canvas.addEventListener('dragover', (event) => event.preventDefault());
  canvas.addEventListener('drop', (event) => {
    event.preventDefault();
    const file = event.dataTransfer?.files[0];
    if (file) void loadFile(file);
  });
  const loadFile = async (file: File) => {
    try {
      drawImage(await createImageBitmap(file));
    } catch {
      replaceChildren(output, <ErrorBox error={new Error(`${file.name} is not an image the browser can read.`)} />);
    }
  };
  sampleChosen.addEventListener('choose', (event) => drawImage((event as CustomEvent<HTMLCanvasElement>).detail));

  const url = modelJsonUrl(jobId);
  return (
    <section class="card try-model" data-testid="try-model">
      <h2>Try the model</h2>
      <div class="two-columns">
        <div>
          {canvas}
          <div class="row">
            <button
              class="button"
              onClick={() => {
                clear();
                output.textContent = 'Cleared.';
              }}
            >
              Clear
            </button>
            <button class="button primary" onClick={() => void classify()} data-testid="classify">
              Classify
            </button>
            <label class="button">
              Open image…
              <input
                type="file"
                accept="image/*"
                hidden
                onChange={(event: Event) => {
                  const f = (event.target as HTMLInputElement).files?.[0];
                  if (f) void loadFile(f);
                }}
              />
            </label>
          </div>
        </div>
        <div>
          {output}
          <h3>Use it in your own page</h3>
          <p class="muted">The model is a TensorFlow.js layers model; it takes pixels in [0, 1] and ends in a softmax.</p>
          <pre class="code">{`import * as tf from '@tensorflow/tfjs';
const model = await tf.loadLayersModel(
  '${url}',
  { requestInit: { headers: { Authorization: 'Bearer ' + key } } });
const probabilities = model.predict(images); // [n, h, w, c]`}</pre>
        </div>
      </div>
    </section>
  );
}
