/**
 * What the Runs tab reads of a run's output files: the listing of a finished run and its
 * CSV files parsed into tables. A finished run's outputs no longer change, so both are
 * kept (a bounded number of tables) and shared by the detail and the comparison.
 */
import { fetchText } from '../api/client';
import { fetchRunOutputs, IOutputFile, IRunOutputs } from '../api/runtime';
import type { Run } from '../api/types';
import { csvTable, ICsvTable, MAX_CSV_BYTES, outputPath } from '../domain/explore';

export { isPreviewable, MAX_CSV_BYTES, outputPath } from '../domain/explore';
export type { ICsvTable } from '../domain/explore';

/** Parsed tables kept at once; the least recently used goes first. */
const MAX_TABLES = 24;

/** Listings kept at once. */
const MAX_LISTINGS = 200;

/** Remember a promise until it fails; the oldest entry leaves when there are too many. */
class PromiseCache<T> {
  constructor(private readonly _max: number) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const known = this._items.get(key);
    if (known) {
      this._items.delete(key); // most recently used last
      this._items.set(key, known);
      return known;
    }
    const promise = load();
    this._items.set(key, promise);
    promise.catch(() => {
      if (this._items.get(key) === promise) {
        this._items.delete(key); // a failure may pass: ask again next time
      }
    });
    while (this._items.size > this._max) {
      this._items.delete(this._items.keys().next().value as string);
    }
    return promise;
  }

  private readonly _items = new Map<string, Promise<T>>();
}

const listings = new PromiseCache<IRunOutputs>(MAX_LISTINGS);
const tables = new PromiseCache<ICsvTable>(MAX_TABLES);

/** The output files of a finished run. */
export function runOutputs(id: string): Promise<IRunOutputs> {
  return listings.get(id, () => fetchRunOutputs(id));
}

/** One of a finished run's CSV files as a table; refuses files above MAX_CSV_BYTES. */
export function runCsv(run: Run, file: IOutputFile): Promise<ICsvTable> {
  if (file.size > MAX_CSV_BYTES) {
    return Promise.reject(new Error(`${file.path} is too large to preview`));
  }
  const path = outputPath(run, file.path);
  return tables.get(`${path}\n${file.size}`, async () => csvTable(await fetchText(path)));
}
