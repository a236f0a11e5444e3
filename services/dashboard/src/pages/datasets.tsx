/**
 * #/datasets: upload a dataset (an IDX pair, CIFAR binary batches, or an image-folder zip/tar.gz) and
 * list the tenant's datasets. #/datasets/{id}: its classes with counts, and sample images.
 */
import { h, replaceChildren } from '../dom/h.js';
import { api } from '../api/client.js';
import type { DatasetView, SampleSet } from '../api/types.js';
import { ErrorBox } from '../components.js';
import { bytes, count, shortId, when } from '../format.js';
import { pixelsToCanvas, samplePixels } from '../model/pixels.js';
import type { PageContext } from './page.js';

function UploadForm(): Element {
  const kind = (
    <select name="kind" id="upload-kind">
      <option value="files">CIFAR batches or an image-folder archive (zip, tar.gz)</option>
      <option value="idx">IDX pair (MNIST format): images + labels</option>
    </select>
  ) as HTMLSelectElement;
  const files = (<input type="file" multiple id="upload-files" />) as HTMLInputElement;
  const images = (<input type="file" id="upload-images" />) as HTMLInputElement;
  const labels = (<input type="file" id="upload-labels" />) as HTMLInputElement;
  const name = (<input type="text" id="upload-name" placeholder="optional" />) as HTMLInputElement;
  const idxRows = (
    <div class="form-grid">{[<label for="upload-images">Images</label>, images, <label for="upload-labels">Labels</label>, labels]}</div>
  );
  const fileRows = <div class="form-grid">{[<label for="upload-files">Files</label>, files]}</div>;
  const parts = <div>{fileRows}</div>;
  kind.addEventListener('change', () => replaceChildren(parts, kind.value === 'idx' ? idxRows : fileRows));
  const message = <div />;
  const button = (
    <button class="button primary" type="submit">
      Upload
    </button>
  ) as HTMLButtonElement;

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData();
    if (name.value.trim()) form.append('name', name.value.trim());
    if (kind.value === 'idx') {
      if (!images.files?.[0] || !labels.files?.[0])
        return replaceChildren(message, <ErrorBox error={new Error('Choose both the images and the labels file.')} />);
      form.append('images', images.files[0]);
      form.append('labels', labels.files[0]);
    } else {
      if (!files.files?.length) return replaceChildren(message, <ErrorBox error={new Error('Choose at least one file.')} />);
      for (const file of files.files) form.append('file', file);
    }
    button.disabled = true;
    replaceChildren(message, <p>Uploading and checking…</p>);
    try {
      const dataset: DatasetView = await api.datasets.upload(form);
      location.hash = `#/datasets/${dataset.id}`;
    } catch (error) {
      replaceChildren(message, <ErrorBox error={error} />);
    } finally {
      button.disabled = false;
    }
  };

  return (
    <form class="card upload-form" onSubmit={submit}>
      <h2>Upload a dataset</h2>
      <div class="form-grid">
        <label for="upload-name">Name</label>
        {name}
        <label for="upload-kind">Kind</label>
        {kind}
      </div>
      {parts}
      {message}
      {button}
    </form>
  );
}

export async function datasetListPage({ root }: PageContext): Promise<void> {
  const list = <div>Loading…</div>;
  replaceChildren(
    root,
    <section>
      <h1>Datasets</h1>
      <UploadForm />
      <h2>Your datasets</h2>
      {list}
    </section>,
  );
  try {
    const { datasets } = await api.datasets.list({ limit: 100 });
    replaceChildren(
      list,
      datasets.length === 0 ? (
        <p class="empty">No datasets yet. The built-in ones (synthetic, fashion-mnist) need no upload.</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Format</th>
              <th>Input</th>
              <th class="num">Classes</th>
              <th class="num">Train / test</th>
              <th class="num">Size</th>
              <th>Uploaded</th>
            </tr>
          </thead>
          <tbody>
            {datasets.map((d) => (
              <tr onClick={() => (location.hash = `#/datasets/${d.id}`)}>
                <td>
                  <a href={`#/datasets/${d.id}`}>{d.name}</a> <span class="muted mono">{shortId(d.id)}</span>
                </td>
                <td>{d.format ?? '–'}</td>
                <td>{d.inputShape?.join('×') ?? '–'}</td>
                <td class="num">{d.classNames.length}</td>
                <td class="num">{`${count(d.trainSize)} / ${count(d.testSize)}`}</td>
                <td class="num">{bytes(d.bytes)}</td>
                <td class="muted">{when(d.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ),
    );
  } catch (error) {
    replaceChildren(list, <ErrorBox error={error} />);
  }
}

export async function datasetPage({ root, params }: PageContext): Promise<void> {
  const id = params.id!;
  replaceChildren(root, <p>Loading…</p>);
  try {
    const dataset = await api.datasets.get(id);
    const samples = <div class="samples">Loading sample images…</div>;
    replaceChildren(
      root,
      <section>
        <h1>{dataset.name}</h1>
        <dl class="facts">
          <div>
            <dt>Id</dt>
            <dd class="mono">{dataset.id}</dd>
          </div>
          <div>
            <dt>Format</dt>
            <dd>{dataset.format ?? '–'}</dd>
          </div>
          <div>
            <dt>Input</dt>
            <dd>{dataset.inputShape?.join('×') ?? '–'}</dd>
          </div>
          <div>
            <dt>Examples</dt>
            <dd>{`${count(dataset.trainSize)} train, ${count(dataset.testSize)} test`}</dd>
          </div>
          <div>
            <dt>Size</dt>
            <dd>{bytes(dataset.bytes)}</dd>
          </div>
        </dl>
        <a class="button primary" href="#/jobs/new">
          Train a model on it
        </a>
        <div class="two-columns">
          <div class="card">
            <h2>Classes</h2>
            <table class="table compact">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Class</th>
                  <th class="num">Train</th>
                  <th class="num">Test</th>
                </tr>
              </thead>
              <tbody>
                {dataset.classNames.map((name, i) => (
                  <tr>
                    <td>{i}</td>
                    <td>{name}</td>
                    <td class="num">{count(dataset.classCounts[i])}</td>
                    <td class="num">{count(dataset.testClassCounts[i])}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="card">
            <h2>Sample test images</h2>
            {samples}
          </div>
        </div>
      </section>,
    );
    const set: SampleSet = await api.datasets.samples(id);
    replaceChildren(
      samples,
      set.samples.map((sample) => (
        <figure class="sample">
          {pixelsToCanvas(samplePixels(sample.pixels), set.inputShape, 2)}
          <figcaption>{set.classNames[sample.label]}</figcaption>
        </figure>
      )),
    );
  } catch (error) {
    replaceChildren(root, <ErrorBox error={error} />);
  }
}
