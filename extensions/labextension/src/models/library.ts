import { Debouncer } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { errorText } from '../api/client';
import { fetchMe, ISearchQuery, searchLibrary } from '../api/library';
import type { Asset, AssetType, Me } from '../api/types';
import { isCurator } from '../domain/sharing';

export type TypeTab = AssetType | 'all';

/** What the sidebar asks the library for. */
export interface ILibraryQuery {
  q: string;
  type: TypeTab;
  /** '' for every library; else "mine", "common", "group:<g>" or "shared" (shared with me). */
  scope: string;
  /** The sort the user picked; null follows the search text. */
  sort: string | null;
  tags: string[];
}

/** Results per request; the virtual list asks for the next page as it scrolls. */
export const PAGE_SIZE = 50;

/** Quiet time after a keystroke before searching. */
export const SEARCH_DELAY_MS = 200;

/**
 * The library as the sidebar shows it: one query, the results loaded so far
 * (pages follow as the list scrolls), counts per type and the user's groups.
 */
export class LibraryModel {
  constructor() {
    this._debouncer = new Debouncer(() => this.search(), SEARCH_DELAY_MS);
  }

  get changed(): ISignal<LibraryModel, void> {
    return this._changed;
  }

  get query(): Readonly<ILibraryQuery> {
    return this._query;
  }

  /** The items loaded so far, in order. */
  get items(): readonly Asset[] {
    return this._items;
  }

  /** How many assets match, loaded or not. */
  get total(): number {
    return this._total;
  }

  /** Matches per type, whatever the type tab. */
  get counts(): Readonly<Record<string, number>> {
    return this._counts;
  }

  get hasMore(): boolean {
    return this._next !== null;
  }

  get loading(): boolean {
    return this._loading;
  }

  get error(): string {
    return this._error;
  }

  /** The search text the items answer; views mark their list with it. */
  get answered(): string | null {
    return this._answered;
  }

  get groups(): readonly string[] {
    return this._groups;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The user's name, once the library said who is asking; '' until then. */
  get name(): string {
    return this._me?.name ?? '';
  }

  /** Whether the user may decide publish requests of the common library. */
  get isCurator(): boolean {
    return isCurator(this._me);
  }

  /** Ask the library who the user is, once; the name ('' if it could not say). */
  whoami(): Promise<string> {
    if (!this._whoami) {
      this._whoami = fetchMe().then(
        me => {
          this._me = me;
          this._groups = (me.libraries ?? [])
            .filter(l => l.startsWith('group:'))
            .map(l => l.slice('group:'.length));
          this._changed.emit();
          return me.name;
        },
        () => {
          this._whoami = null; // asked again next time
          return '';
        }
      );
    }
    return this._whoami;
  }

  /** Relevance only means something with search text; the default follows it. */
  get sort(): string {
    const { sort, q } = this._query;
    if (!sort || (sort === 'relevance' && !q.trim())) {
      return q.trim() ? 'relevance' : 'title';
    }
    return sort;
  }

  /** Change the query; typing waits for a pause, other changes search at once. */
  setQuery(change: Partial<ILibraryQuery>, options: { typing?: boolean } = {}): void {
    this._query = { ...this._query, ...change };
    this._changed.emit();
    if (options.typing) {
      void this._debouncer.invoke();
    } else {
      void this.search();
    }
  }

  addTag(tag: string): void {
    if (!this._query.tags.includes(tag)) {
      this.setQuery({ tags: [...this._query.tags, tag] });
    }
  }

  removeTag(tag: string): void {
    this.setQuery({ tags: this._query.tags.filter(t => t !== tag) });
  }

  /** The first load: results and the groups the user belongs to. Later calls do nothing. */
  async ensureLoaded(): Promise<void> {
    if (this._started) {
      return;
    }
    this._started = true;
    // without it the scope filter offers no groups; search still finds theirs
    const me = this.whoami();
    await Promise.all([this.search(), me]);
  }

  /** Search from the first page; answers to older searches are dropped. */
  async search(): Promise<void> {
    this._started = true;
    void this._debouncer.stop();
    this._abort?.abort();
    const abort = (this._abort = new AbortController());
    const seq = ++this._seq;
    const query = this._request();
    this._loading = true;
    this._changed.emit();
    // The type counts must not depend on the tab chosen: they come without the type filter.
    const countsQuery: ISearchQuery = { ...query, types: [], limit: 1 };
    try {
      const page = searchLibrary(query, abort.signal);
      const counts = query.types?.length ? searchLibrary(countsQuery, abort.signal) : page;
      const [result, { facets }] = await Promise.all([page, counts]);
      if (seq !== this._seq) {
        return;
      }
      this._items = result.items ?? [];
      this._total = result.total ?? this._items.length;
      this._next = result.next_cursor ?? null;
      this._counts = facets?.type ?? {};
      this._error = '';
      this._answered = query.q ?? '';
    } catch (reason) {
      if (seq !== this._seq || abort.signal.aborted) {
        return;
      }
      this._items = [];
      this._total = 0;
      this._next = null;
      this._error = `Cannot search the library: ${errorText(reason)}`;
      this._answered = null;
    }
    this._loading = false;
    this._changed.emit();
  }

  /** The next page, once; the list calls it when its end scrolls into view. */
  async loadMore(): Promise<void> {
    if (!this._next || this._loadingMore) {
      return;
    }
    this._loadingMore = true;
    const seq = this._seq;
    try {
      const result = await searchLibrary({ ...this._request(), cursor: this._next });
      if (seq === this._seq) {
        this._items = [...this._items, ...(result.items ?? [])];
        this._next = result.next_cursor ?? null;
      }
    } catch (reason) {
      if (seq === this._seq) {
        this._error = `Cannot load more: ${errorText(reason)}`;
      }
    } finally {
      this._loadingMore = false;
    }
    if (seq === this._seq) {
      this._changed.emit();
    }
  }

  dispose(): void {
    if (!this._disposed) {
      this._disposed = true;
      this._abort?.abort();
      this._debouncer.dispose();
      Signal.clearData(this);
    }
  }

  private _request(): ISearchQuery {
    const q = this._query.q.trim();
    return {
      q,
      types: this._query.type === 'all' ? [] : [this._query.type],
      scope: this._query.scope || undefined,
      tags: [...this._query.tags],
      sort: this.sort,
      limit: PAGE_SIZE
    };
  }

  private _query: ILibraryQuery = { q: '', type: 'all', scope: '', sort: null, tags: [] };
  private _items: Asset[] = [];
  private _total = 0;
  private _counts: Record<string, number> = {};
  private _next: string | null = null;
  private _loading = false;
  private _loadingMore = false;
  private _error = '';
  private _answered: string | null = null;
  private _groups: string[] = [];
  private _me: Me | null = null;
  private _whoami: Promise<string> | null = null;
  private _started = false;
  private _disposed = false;
  private _seq = 0;
  private _abort: AbortController | null = null;
  private readonly _debouncer: Debouncer;
  private readonly _changed = new Signal<LibraryModel, void>(this);
}
