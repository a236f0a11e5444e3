/**
 * A small SVG scatter plot: one hyperparameter (x: numbers, on a log scale when asked, or categories)
 * against a sweep's metric (y), one point per trial, coloured by whether the trial was pruned.
 */
const SVG_NS = 'http://www.w3.org/2000/svg';
const MARGIN = { left: 56, right: 12, top: 28, bottom: 40 };

export interface ScatterPoint {
  x: number | string | boolean;
  y: number;
  color: string;
  /** Shown on hover. */
  label: string;
}

export interface ScatterOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  width?: number;
  height?: number;
}

function svg(tag: string, attributes: Record<string, string | number>, text?: string): SVGElement {
  const element = document.createElementNS(SVG_NS, tag) as SVGElement;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function short(value: number): string {
  return Math.abs(value) >= 0.01 && Math.abs(value) < 1000 ? String(Number(value.toPrecision(3))) : value.toExponential(1);
}

export function scatterChart(points: ScatterPoint[], options: ScatterOptions): SVGSVGElement {
  const { width = 380, height = 240 } = options;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart scatter', role: 'img', 'aria-label': options.title });
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const numeric = points.every((point) => typeof point.x === 'number');
  const categories = numeric ? [] : [...new Set(points.map((point) => String(point.x)))].sort();
  const toAxis = (value: number) => (options.logX ? Math.log10(value) : value);
  const xs = numeric ? points.map((point) => toAxis(point.x as number)) : [];
  let [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  if (!(xMax > xMin)) [xMin, xMax] = [xMin - 1, xMin + 1];
  const ys = points.map((point) => point.y);
  let [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
  if (!(yMax > yMin)) [yMin, yMax] = [yMin - 0.5, yMin + 0.5];
  const x = (value: number | string | boolean) =>
    numeric
      ? MARGIN.left + ((toAxis(value as number) - xMin) / (xMax - xMin)) * plotWidth
      : MARGIN.left + ((categories.indexOf(String(value)) + 0.5) / categories.length) * plotWidth;
  const y = (value: number) => MARGIN.top + (1 - (value - yMin) / (yMax - yMin)) * plotHeight;

  root.appendChild(svg('text', { x: MARGIN.left, y: 16, class: 'chart-title' }, options.title));
  for (const value of [yMin, (yMin + yMax) / 2, yMax]) {
    root.appendChild(svg('line', { x1: MARGIN.left, x2: width - MARGIN.right, y1: y(value), y2: y(value), class: 'grid' }));
    root.appendChild(svg('text', { x: MARGIN.left - 6, y: y(value) + 4, class: 'tick', 'text-anchor': 'end' }, short(value)));
  }
  const xTicks = numeric ? [xMin, (xMin + xMax) / 2, xMax].map((v) => (options.logX ? 10 ** v : v)) : categories;
  for (const value of xTicks) {
    root.appendChild(
      svg(
        'text',
        { x: x(value), y: height - MARGIN.bottom + 16, class: 'tick', 'text-anchor': 'middle' },
        typeof value === 'number' ? short(value) : value,
      ),
    );
  }
  const axis = `${options.xLabel}${options.logX ? ' (log scale)' : ''} → ${options.yLabel}`;
  root.appendChild(svg('text', { x: MARGIN.left + plotWidth / 2, y: height - 4, class: 'axis-label', 'text-anchor': 'middle' }, axis));
  for (const point of points) {
    const dot = svg('circle', { cx: x(point.x).toFixed(1), cy: y(point.y).toFixed(1), r: 4.5, fill: point.color, class: 'point' });
    dot.appendChild(svg('title', {}, point.label));
    root.appendChild(dot);
  }
  return root as SVGSVGElement;
}
