/**
 * A JSX factory that builds real DOM elements (no virtual DOM): `<div class="x">{text}</div>` is a
 * HTMLDivElement. Pages build their elements once and update the parts that change themselves;
 * that is all this dashboard needs. Children may be strings, numbers, nodes, arrays, or
 * null/undefined/false (skipped). `on*` props become event listeners; `ref` gets the element.
 */
export type Child = Node | string | number | boolean | null | undefined | Child[];
type Props = Record<string, unknown> | null;

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_TAGS = new Set(['svg', 'g', 'path', 'line', 'rect', 'text', 'circle', 'polyline', 'title']);

function appendChildren(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false || child === true) continue;
    if (Array.isArray(child)) appendChildren(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function h(tag: string | ((props: Record<string, unknown>) => Node), props: Props, ...children: Child[]): Element {
  if (typeof tag === 'function') return tag({ ...(props ?? {}), children }) as Element;
  const element = SVG_TAGS.has(tag) ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'ref') (value as (element: Element) => void)(element);
    else if (name.startsWith('on') && typeof value === 'function')
      element.addEventListener(name.slice(2).toLowerCase(), value as EventListener);
    else if (name === 'style' && typeof value === 'object') Object.assign((element as HTMLElement).style, value);
    else if (name === 'value' && 'value' in element) (element as HTMLInputElement).value = String(value);
    else if (name === 'checked' && 'checked' in element) (element as HTMLInputElement).checked = Boolean(value);
    else element.setAttribute(name === 'className' ? 'class' : name, value === true ? '' : String(value));
  }
  appendChildren(element, children);
  return element;
}

/** @public the JSX fragment factory (`<>…</>`) that tsconfig.web.json names; no page uses a fragment yet. */
export function Fragment(props: { children?: Child[] }): DocumentFragment {
  const fragment = document.createDocumentFragment();
  appendChildren(fragment, props.children ?? []);
  return fragment;
}

/** Replaces an element's content. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  appendChildren(parent, children);
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    type Element = globalThis.Element;
    interface IntrinsicElements {
      [tag: string]: Record<string, unknown>;
    }
  }
}
