/**
 * "Predict with the service": image files sent to POST /v1/jobs/{id}/predict, where the service's
 * inference processes classify them (unlike "Try the model", which runs the model in this page).
 */
import { h, replaceChildren } from '../dom/h.js';
import { ErrorBox } from '../components.js';
import { api } from '../api/client.js';

export function predictSection(jobId: string): Element {
  const files = (<input type="file" accept="image/png,image/jpeg" multiple data-testid="predict-files" />) as HTMLInputElement;
  const top = (<input type="number" min="1" max="100" value="5" class="narrow" data-testid="predict-top" />) as HTMLInputElement;
  const output = (
    <div class="prediction-output" data-testid="predict-output">
      Choose PNG or JPEG images, then predict.
    </div>
  );

  const predict = async () => {
    const chosen = [...(files.files ?? [])];
    if (chosen.length === 0) {
      output.textContent = 'Choose one or more images first.';
      return;
    }
    const form = new FormData();
    for (const file of chosen) form.append('images', file, file.name);
    try {
      output.textContent = 'Predicting…';
      const { predictions } = await api.jobs.predict(jobId, form, { top: Number(top.value) || 5 });
      replaceChildren(
        output,
        <table class="table" data-testid="predict-results">
          <thead>
            <tr>
              <th>image</th>
              <th>classes, most probable first</th>
            </tr>
          </thead>
          <tbody>
            {predictions.map((prediction, i) => (
              <tr>
                <td>{chosen[i]!.name}</td>
                <td>{prediction.top.map((entry) => `${entry.class} ${(entry.probability * 100).toFixed(1)}%`).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>,
      );
    } catch (error) {
      replaceChildren(output, <ErrorBox error={error} />);
    }
  };

  return (
    <section class="card predict" data-testid="predict">
      <h2>Predict with the service</h2>
      <p class="muted">
        The images go to <code>{`POST /v1/jobs/${jobId}/predict`}</code>; the service resizes them as in training and answers the most
        probable classes.
      </p>
      <div class="row">
        {files}
        <label>top {top}</label>
        <button class="button primary" onClick={() => void predict()} data-testid="predict-button">
          Predict
        </button>
      </div>
      {output}
    </section>
  );
}
