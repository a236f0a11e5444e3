/**
 * Sample test images of a job's dataset (GET /v1/jobs/{id}/samples) with their true labels, and the
 * trained model's prediction for each, computed here in the browser. Clicking one puts it in the
 * "try the model" canvas.
 */
import { h, replaceChildren } from '../dom/h.js';
import { api } from '../api/client.js';
import type { SampleSet } from '../api/types.js';
import { ErrorBox } from '../components.js';
import { classifierFor } from '../model/classifier.js';
import { pixelsToCanvas, samplePixels } from '../model/pixels.js';

/** Fired with the sample's canvas when the user picks one to try. */
export const sampleChosen = new EventTarget();

export function samplesSection(jobId: string): Element {
  const grid = (
    <div class="samples" data-testid="samples">
      Loading sample images…
    </div>
  );
  const summary = <p class="muted" />;
  void (async () => {
    try {
      const set: SampleSet = await api.jobs.samples(jobId);
      const images = set.samples.map((sample) => samplePixels(sample.pixels));
      const cells = set.samples.map((sample, i) => {
        const canvas = pixelsToCanvas(images[i]!, set.inputShape, 3);
        const predicted = <span class="predicted">…</span>;
        const cell = (
          <figure
            class="sample"
            title="Click to try it below"
            onClick={() => sampleChosen.dispatchEvent(new CustomEvent('choose', { detail: canvas }))}
          >
            {canvas}
            <figcaption>
              <span class="true-label">true: {set.classNames[sample.label]}</span>
              {predicted}
            </figcaption>
          </figure>
        );
        return { cell, predicted, label: sample.label };
      });
      replaceChildren(
        grid,
        cells.map((c) => c.cell),
      );
      const classifier = await classifierFor(jobId);
      const predictions = await classifier.classify(images);
      let correct = 0;
      predictions.forEach((ranked, i) => {
        const best = ranked[0]!;
        const right = best.label === cells[i]!.label;
        if (right) correct += 1;
        cells[i]!.predicted.textContent = `predicted: ${best.className} (${Math.round(best.probability * 100)}%)`;
        cells[i]!.cell.classList.add(right ? 'right' : 'wrong');
      });
      summary.textContent = `The trained model, run in this page by TensorFlow.js (${classifier.backend} backend), labels ${correct} of ${cells.length} of these test images correctly.`;
    } catch (error) {
      replaceChildren(grid, <ErrorBox error={error} />);
    }
  })();
  return (
    <section class="card">
      <h2>Sample test images</h2>
      {summary}
      {grid}
    </section>
  );
}
