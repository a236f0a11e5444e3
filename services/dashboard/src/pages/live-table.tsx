/**
 * A page that is one table of the tenant's things, redrawn every 2 s (jobs, sweeps, workers): the page
 * head, what the page shows above the table (filters, a note), then the table, with a message in
 * place of the rows when the list is empty or could not be read.
 */
import { h, replaceChildren } from '../dom/h.js';
import { ErrorBox } from '../components.js';
import { every, type PageContext } from './page.js';

/** A column's header: its label, or the label with `num` for a right-aligned number column. */
type Column = string | { label?: string; num?: boolean; ariaLabel?: string };

export interface LiveTable<T> {
  title: string;
  /** Buttons and links at the right of the page head. */
  actions?: Element;
  /** Between the head and the table. */
  above?: Element;
  /** The table's class after `table`, and its data-testid. */
  tableClass: string;
  testId?: string;
  columns: Column[];
  load: () => Promise<T[]>;
  row: (item: T) => Element;
  /** Shown when the list is empty. */
  empty: Element;
}

export function liveTablePage<T>({ root, signal }: PageContext, table: LiveTable<T>): void {
  const body = (<tbody />) as HTMLTableSectionElement;
  const message = <div />;
  replaceChildren(
    root,
    <section>
      <div class="page-head">
        <h1>{table.title}</h1>
        {table.actions}
      </div>
      {table.above}
      {message}
      <table class={`table ${table.tableClass}`} data-testid={table.testId}>
        <thead>
          <tr>{table.columns.map(header)}</tr>
        </thead>
        {body}
      </table>
    </section>,
  );
  every(2_000, signal, async () => {
    try {
      const items = await table.load();
      replaceChildren(
        body,
        items.map((item) => table.row(item)),
      );
      replaceChildren(message, items.length === 0 ? table.empty : null);
    } catch (error) {
      replaceChildren(message, <ErrorBox error={error} />);
    }
    return true;
  });
}

function header(column: Column): Element {
  if (typeof column === 'string') return <th>{column}</th>;
  return (
    <th class={column.num ? 'num' : undefined} aria-label={column.ariaLabel}>
      {column.label}
    </th>
  );
}
