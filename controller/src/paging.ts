// Paging of the lists that came without it (rooms, schedules): in order of id, the cursor is the last id a page
// showed. Backward compatible: a caller that names neither `cursor` nor `limit` gets the whole list as the bare
// array it always got; one that names either gets a page `{items, nextCursor}`, as sessions and the audit log answer.
import { z } from "zod";

/** Not strict: these lists took no query before, and a caller's unrelated parameter must not start failing. */
export const idPageQuery = z.object({
  /** The `nextCursor` of the page before. */
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
export type IdPageQuery = z.output<typeof idPageQuery>;

/** The default page size once a caller pages (`cursor` without `limit`). */
export const DEFAULT_PAGE_LIMIT = 100;

export function pageById<T extends { id: string }>(all: readonly T[], query: IdPageQuery) {
  if (query.cursor === undefined && query.limit === undefined) return undefined;
  const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
  const after = query.cursor;
  const sorted = all
    .filter((item) => after === undefined || item.id > after)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const items = sorted.slice(0, limit);
  return { items, nextCursor: sorted.length > limit ? items.at(-1)!.id : null };
}
