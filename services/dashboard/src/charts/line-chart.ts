/**
 * A small SVG line chart for training curves: several named series of (x, y) points on shared axes,
 * redrawn whole on every update (a few hundred points at most). Series with `dots` draw points only
 * (per-epoch values), the others lines (per-batch values).
 */
export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  dots?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  /** Fixed y range (accuracy: [0, 1]); otherwise from the data. */
  yRange?: [number, number];
  /** Format of y tick labels. */
  format?: (value: number) => string;
  width?: number;
  height?: number;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const MARGIN = { left: 56, right: 12, top: 28, bottom: 36 };

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** About `count` round tick values covering [min, max]. */
function ticks(min: number, max: number, count: number): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const values: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) values.push(Number(v.toPrecision(12)));
  return values;
}

export class LineChart {
  readonly element: SVGSVGElement;
  private series: Series[] = [];

  constructor(private readonly options: ChartOptions) {
    const { width = 460, height = 260 } = options;
    this.element = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': options.title });
    this.draw();
  }

  update(series: Series[]): void {
    this.series = series;
    this.draw();
  }

  private draw(): void {
    const { width = 460, height = 260, title, xLabel, format = (v) => String(v) } = this.options;
    const plotWidth = width - MARGIN.left - MARGIN.right;
    const plotHeight = height - MARGIN.top - MARGIN.bottom;
    const all = this.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const xs = all.map(([x]) => x);
    const ys = all.map(([, y]) => y);
    const xMin = Math.min(0, ...xs);
    const xMax = Math.max(1, ...xs);
    let [yMin, yMax] = this.options.yRange ?? [Math.min(...ys, Infinity), Math.max(...ys, -Infinity)];
    if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) [yMin, yMax] = [0, 1];
    if (!this.options.yRange) yMin = Math.min(0, yMin);
    if (yMin === yMax) yMax = yMin === 0 ? 1 : yMin + Math.abs(yMin) * 0.2; // a constant series (learning rate)
    const x = (value: number) => MARGIN.left + ((value - xMin) / (xMax - xMin)) * plotWidth;
    const y = (value: number) => MARGIN.top + (1 - (value - yMin) / (yMax - yMin)) * plotHeight;

    const root = this.element;
    root.replaceChildren();
    root.appendChild(svg('text', { x: MARGIN.left, y: 16, class: 'chart-title' }, title));
    for (const value of ticks(yMin, yMax, 5)) {
      root.appendChild(svg('line', { x1: MARGIN.left, x2: width - MARGIN.right, y1: y(value), y2: y(value), class: 'grid' }));
      root.appendChild(svg('text', { x: MARGIN.left - 6, y: y(value) + 4, class: 'tick', 'text-anchor': 'end' }, format(value)));
    }
    for (const value of ticks(xMin, xMax, 6)) {
      root.appendChild(svg('line', { x1: x(value), x2: x(value), y1: MARGIN.top, y2: height - MARGIN.bottom, class: 'grid' }));
      root.appendChild(svg('text', { x: x(value), y: height - MARGIN.bottom + 16, class: 'tick', 'text-anchor': 'middle' }, String(value)));
    }
    root.appendChild(svg('text', { x: MARGIN.left + plotWidth / 2, y: height - 4, class: 'axis-label', 'text-anchor': 'middle' }, xLabel));

    let legendX = width - MARGIN.right;
    for (const series of [...this.series].reverse()) {
      const label = svg('text', { x: legendX, y: 16, class: 'legend', 'text-anchor': 'end', fill: series.color }, `● ${series.name}`);
      root.appendChild(label);
      legendX -= series.name.length * 6.5 + 24;
    }
    for (const series of this.series) {
      const points = series.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
      if (points.length === 0) continue;
      if (series.dots) {
        const path = points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
        root.appendChild(
          svg('polyline', {
            points: path,
            fill: 'none',
            stroke: series.color,
            'stroke-width': 1.5,
            'stroke-dasharray': '4 3',
            'data-series': series.name,
          }),
        );
        for (const [px, py] of points) root.appendChild(svg('circle', { cx: x(px), cy: y(py), r: 3.5, fill: series.color }));
      } else {
        const path = points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join('');
        root.appendChild(svg('path', { d: path, fill: 'none', stroke: series.color, 'stroke-width': 1.5, 'data-series': series.name }));
      }
    }
  }
}
