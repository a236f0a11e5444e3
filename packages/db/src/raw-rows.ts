/**
 * The one way to read raw rows (the queries Prisma cannot express, or too slowly): each column is
 * selected under its Prisma field name, so that a raw row has the generated model's type and needs no
 * mapping. A column is its field in snake_case, as schema.prisma maps every field (packages/db/test
 * checks the tables against it).
 */
export function columnsAs(fields: readonly string[]): string {
  return fields
    .map((field) => {
      const column = columnOf(field);
      return column === field ? field : `${column} AS "${field}"`;
    })
    .join(', ');
}

export function columnOf(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
