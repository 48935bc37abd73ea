import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Contents } from '@jupyterlab/services';
import { addIcon, closeIcon, refreshIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { AssetType } from './api';
import { AssetDetailView, formatModified, IAssetKey, tagChip, TYPE_LABELS } from './assetdetail';
import { PickList } from './cart';
import { button, errorText, h } from './dom';
import {
  assetRef,
  fetchAsset,
  fetchMe,
  IAssetDetail,
  ILibraryAsset,
  ISearchQuery,
  ISearchResult,
  scopeLabel,
  searchLibrary
} from './libraryapi';

/** The tabs: every type, then one per asset type. */
const TABS: ReadonlyArray<[AssetType | 'all', string]> = [
  ['all', 'All'],
  ['digital_twins', 'Digital twins'],
  ['functions', 'Functions'],
  ['models', 'Models'],
  ['tools', 'Tools'],
  ['data', 'Data']
];

const SORTS: ReadonlyArray<[string, string]> = [
  ['relevance', 'Relevance'],
  ['title', 'Title'],
  ['-modified', 'Last modified']
];

/** Quiet time after a keystroke before searching. */
const SEARCH_DELAY_MS = 200;

/** Results per page. */
const PAGE_SIZE = 30;

export interface ILibraryPanelOptions {
  rendermime: IRenderMimeRegistry;
  contents: Contents.IManager;
  picks: PickList;
  open: (path: string) => void;
  goTo: (path: string) => void;
  /** Ask for a new digital twin; the dialog takes the picked assets. */
  newDT: () => void;
  configure?: (dt: IAssetDetail) => void;
}

/**
 * Sidebar for finding assets in every library the user can read, reading
 * their details and picking assets for a new digital twin.
 */
export class LibraryPanel extends Widget {
  constructor(options: ILibraryPanelOptions) {
    super();
    this._options = options;
    this.addClass('dtaas-sidebar');
    this.addClass('dtaas-library-sidebar');

    const refresh = h('button', {
      className: 'dtaas-refresh jp-Button jp-mod-minimal',
      attrs: { type: 'button', title: 'Refresh', 'aria-label': 'Refresh' }
    });
    refreshIcon.element({ container: refresh, tag: 'span' });
    refresh.addEventListener('click', () => void this.refresh());
    const newDT = h('button', {
      className: 'dtaas-new-dt jp-Button jp-mod-minimal',
      attrs: { type: 'button', title: 'New digital twin', 'aria-label': 'New digital twin' }
    });
    addIcon.element({ container: newDT, tag: 'span' });
    newDT.addEventListener('click', () => options.newDT());

    this._search = h('input', {
      className: 'dtaas-library-search jp-mod-styled',
      attrs: {
        type: 'search',
        placeholder: 'Search the library',
        'aria-label': 'Search the library',
        spellcheck: 'false'
      }
    });
    this._search.addEventListener('input', () => {
      window.clearTimeout(this._debounce);
      this._debounce = window.setTimeout(() => this._userSearch(), SEARCH_DELAY_MS);
    });
    this._search.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        this._userSearch();
      }
    });

    this._scope = h('select', {
      className: 'dtaas-scope-select dtaas-select',
      attrs: { 'aria-label': 'Library', title: 'Library' }
    });
    this._setScopes([]);
    this._scope.addEventListener('change', () => this._userSearch());

    this._sort = h(
      'select',
      {
        className: 'dtaas-sort-select dtaas-select',
        attrs: { 'aria-label': 'Sort', title: 'Sort' }
      },
      SORTS.map(([value, label]) => h('option', { text: label, attrs: { value } }))
    );
    this._sort.addEventListener('change', () => {
      this._sortChoice = this._sort.value;
      this._userSearch();
    });

    this._tabs = h('div', { className: 'dtaas-type-tabs', attrs: { role: 'tablist' } });
    for (const [type, label] of TABS) {
      const tab = h(
        'button',
        {
          className: 'dtaas-type-tab',
          attrs: { type: 'button', role: 'tab', 'data-type': type, 'aria-selected': 'false' }
        },
        [
          h('span', { className: 'dtaas-type-label', text: label }),
          h('span', { className: 'dtaas-type-count' })
        ]
      );
      tab.addEventListener('click', () => {
        this._type = type;
        this._userSearch();
      });
      this._tabs.appendChild(tab);
    }

    this._filters = h('div', { className: 'dtaas-active-filters', attrs: { hidden: '' } });
    this._summary = h('div', { className: 'dtaas-results-summary' });
    this._cards = h('ul', { className: 'dtaas-cards', attrs: { 'aria-label': 'Assets' } });
    this._more = button('dtaas-more', 'More', () => void this._loadMore());
    this._more.hidden = true;
    this._results = h('div', { className: 'dtaas-results' }, [
      this._summary,
      this._cards,
      this._more
    ]);
    this._detailBox = h('div', { className: 'dtaas-detail-view', attrs: { hidden: '' } });
    this._body = h('div', { className: 'dtaas-library-body' }, [this._results, this._detailBox]);
    this._cart = h('div', { className: 'dtaas-cart', attrs: { hidden: '' } });

    // The next page loads when "More" scrolls into view.
    this._observer = new IntersectionObserver(
      entries => {
        if (entries.some(e => e.isIntersecting) && !this._more.hidden) {
          void this._loadMore();
        }
      },
      { root: this._body }
    );
    this._observer.observe(this._more);

    this.node.appendChild(
      h('div', { className: 'dtaas-library-panel', attrs: { id: 'dtaas-library-panel' } }, [
        h('div', { className: 'dtaas-header' }, [
          h('h2', { className: 'dtaas-header-title', text: 'Library' }),
          h('span', { className: 'dtaas-spacer' }),
          newDT,
          refresh
        ]),
        h('div', { className: 'dtaas-library-controls' }, [
          this._search,
          h('div', { className: 'dtaas-library-selects' }, [this._scope, this._sort]),
          this._tabs,
          this._filters
        ]),
        this._body,
        this._cart
      ])
    );

    options.picks.changed.connect(this._renderCart, this);
    options.contents.fileChanged.connect(this._onFileChanged, this);
    this._renderCart();
  }

  /** Search again and reload the detail shown, keeping the query and filters. */
  async refresh(): Promise<void> {
    this._loaded = true;
    const shown = this._history[this._history.length - 1];
    await Promise.all([this._runSearch(), shown ? this._showDetail(shown) : Promise.resolve()]);
  }

  /** Search again with the same query, leaving the detail shown as it is. */
  search(): Promise<void> {
    return this._runSearch();
  }

  /** Show an asset's detail, e.g. a digital twin just created. */
  select(asset: IAssetKey): void {
    this._history = [asset];
    void this._showDetail(asset);
  }

  /** Put the cursor in the search box. */
  focusSearch(): void {
    this._search.focus();
  }

  // Load lazily: no request is made until the panel is first shown.
  protected onAfterAttach(): void {
    if (this.isVisible && !this._loaded) {
      void this._firstLoad();
    }
  }

  protected onAfterShow(): void {
    if (!this._loaded) {
      void this._firstLoad();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearTimeout(this._debounce);
    this._observer.disconnect();
    this._detail?.dispose();
    this._options.picks.changed.disconnect(this._renderCart, this);
    this._options.contents.fileChanged.disconnect(this._onFileChanged, this);
    super.dispose();
  }

  private async _firstLoad(): Promise<void> {
    this._loaded = true;
    void this._runSearch();
    try {
      const me = await fetchMe();
      this._setScopes(
        (me.libraries ?? []).filter(l => l.startsWith('group:')).map(l => l.slice('group:'.length))
      );
    } catch {
      // Without it the switch offers no groups; searching all libraries still finds theirs.
    }
  }

  private _setScopes(groups: string[]): void {
    const current = this._scope.value;
    const options: Array<[string, string]> = [
      ['', 'All libraries'],
      ['mine', 'Mine'],
      ...groups.map((g): [string, string] => [`group:${g}`, `Group ${g}`]),
      ['common', 'Common']
    ];
    this._scope.replaceChildren(
      ...options.map(([value, label]) => h('option', { text: label, attrs: { value } }))
    );
    this._scope.value = options.some(([value]) => value === current) ? current : '';
  }

  /** Relevance only means something with search text; the default follows it. */
  private _effectiveSort(q: string): string {
    const choice = this._sortChoice;
    if (!choice || (choice === 'relevance' && !q)) {
      return q ? 'relevance' : 'title';
    }
    return choice;
  }

  private _query(): ISearchQuery {
    const q = this._search.value.trim();
    return {
      q,
      types: this._type === 'all' ? [] : [this._type],
      scope: this._scope.value || undefined,
      tags: [...this._tags],
      sort: this._effectiveSort(q),
      limit: PAGE_SIZE
    };
  }

  /** A new search from the first page; answers to older searches are dropped. */
  private async _runSearch(): Promise<void> {
    window.clearTimeout(this._debounce);
    this._debounce = 0;
    this._loaded = true;
    this._abort?.abort();
    const abort = (this._abort = new AbortController());
    const seq = ++this._seq;
    const query = this._query();
    this._renderControls(query);
    this._results.setAttribute('aria-busy', 'true');

    // Counts for the tabs must not depend on the tab chosen, so they come from
    // a search without the type filter.
    const facetsQuery: ISearchQuery = { ...query, types: [], limit: 1 };
    let result: ISearchResult;
    let facets: ISearchResult['facets'];
    try {
      const page = searchLibrary(query, abort.signal);
      const counts = query.types?.length ? searchLibrary(facetsQuery, abort.signal) : page;
      [result, { facets }] = await Promise.all([page, counts]);
    } catch (reason) {
      if (seq === this._seq) {
        this._results.removeAttribute('aria-busy');
        this._items = [];
        this._cards.replaceChildren();
        this._more.hidden = true;
        this._summary.className = 'dtaas-results-summary dtaas-error';
        this._summary.textContent = `Cannot search the library: ${errorText(reason)}`;
      }
      return;
    }
    if (seq !== this._seq) {
      return;
    }
    this._results.removeAttribute('aria-busy');
    this._items = result.items ?? [];
    this._next = result.next_cursor ?? null;
    this._total = result.total ?? this._items.length;
    this._renderCounts(facets?.type ?? {});
    this._cards.replaceChildren(...this._items.map(a => this._renderCard(a)));
    this._renderSummary();
    // Says which search the cards belong to, for anyone waiting on a particular one.
    this._results.dataset.query = query.q ?? '';
    if (!this._results.hidden) {
      this._body.scrollTop = 0;
    }
  }

  private async _loadMore(): Promise<void> {
    if (!this._next || this._loadingMore) {
      return;
    }
    this._loadingMore = true;
    const seq = this._seq;
    const query = { ...this._query(), cursor: this._next };
    this._more.disabled = true;
    try {
      const result = await searchLibrary(query);
      if (seq !== this._seq) {
        return;
      }
      const items = result.items ?? [];
      this._items = [...this._items, ...items];
      this._next = result.next_cursor ?? null;
      this._cards.append(...items.map(a => this._renderCard(a)));
      this._renderSummary();
    } catch (reason) {
      if (seq === this._seq) {
        this._summary.className = 'dtaas-results-summary dtaas-error';
        this._summary.textContent = `Cannot load more: ${errorText(reason)}`;
      }
    } finally {
      this._loadingMore = false;
      this._more.disabled = false;
    }
  }

  /** Tabs, sort and tag filters as the query has them. */
  private _renderControls(query: ISearchQuery): void {
    for (const tab of this._tabs.querySelectorAll<HTMLElement>('.dtaas-type-tab')) {
      const selected = tab.dataset.type === this._type;
      tab.classList.toggle('jp-mod-selected', selected);
      tab.setAttribute('aria-selected', String(selected));
    }
    const relevance = this._sort.querySelector<HTMLOptionElement>('option[value=relevance]');
    if (relevance) {
      relevance.disabled = !query.q;
    }
    this._sort.value = query.sort ?? 'title';
    this._filters.hidden = this._tags.length === 0;
    this._filters.replaceChildren(
      ...this._tags.map(tag => {
        const chip = h(
          'button',
          {
            className: 'dtaas-active-tag',
            attrs: { type: 'button', 'data-tag': tag, title: `Stop filtering by ${tag}` }
          },
          [h('span', { text: tag })]
        );
        // Given a container, the icon replaces its content; hence a span of its own.
        const close = h('span', { className: 'dtaas-chip-close' });
        closeIcon.element({ container: close });
        chip.appendChild(close);
        chip.addEventListener('click', () => {
          this._tags = this._tags.filter(t => t !== tag);
          this._userSearch();
        });
        return chip;
      })
    );
  }

  private _renderCounts(counts: Record<string, number>): void {
    const all = Object.values(counts).reduce((sum, n) => sum + (Number(n) || 0), 0);
    for (const tab of this._tabs.querySelectorAll<HTMLElement>('.dtaas-type-tab')) {
      const type = tab.dataset.type ?? 'all';
      const count = type === 'all' ? all : (counts[type] ?? 0);
      const node = tab.querySelector('.dtaas-type-count');
      if (node) {
        node.textContent = String(count);
      }
      tab.classList.toggle('dtaas-mod-empty', count === 0);
    }
  }

  private _renderSummary(): void {
    this._summary.className = 'dtaas-results-summary';
    if (this._items.length === 0) {
      this._summary.textContent = this._search.value.trim()
        ? 'Nothing matches the search'
        : 'No assets here';
    } else {
      const shown = this._items.length;
      const noun = this._total === 1 ? 'asset' : 'assets';
      this._summary.textContent =
        shown < this._total ? `${shown} of ${this._total} ${noun}` : `${this._total} ${noun}`;
    }
    this._more.hidden = !this._next;
  }

  private _renderCard(asset: ILibraryAsset): HTMLElement {
    const head: HTMLElement[] = [
      h('span', { className: 'dtaas-card-title', text: asset.title || asset.name }),
      h('span', {
        className: 'dtaas-scope-badge',
        text: scopeLabel(asset.scope),
        attrs: { 'data-scope': asset.scope }
      })
    ];
    const problems = asset.problems ?? [];
    if (problems.length) {
      head.push(
        h('span', {
          className: 'dtaas-problems-badge',
          text: `${problems.length} problem${problems.length === 1 ? '' : 's'}`,
          attrs: { title: problems.join('\n') }
        })
      );
    }
    const card = h(
      'li',
      {
        className: 'dtaas-card',
        attrs: {
          'data-path': asset.path,
          'data-scope': asset.scope,
          'data-type': asset.type,
          role: 'button',
          tabindex: '0',
          title: `${assetRef(asset)}${asset.modified ? ` · ${formatModified(asset.modified)}` : ''}`
        }
      },
      [
        h('div', { className: 'dtaas-card-head' }, head),
        ...(this._type === 'all'
          ? [
              h('div', {
                className: 'dtaas-card-type',
                text: TYPE_LABELS[asset.type] ?? asset.type
              })
            ]
          : []),
        ...(asset.description
          ? [h('div', { className: 'dtaas-card-description', text: asset.description })]
          : []),
        ...(asset.tags?.length
          ? [
              h(
                'div',
                { className: 'dtaas-tags' },
                asset.tags.map(tag => tagChip(tag, t => this._filterTag(t)))
              )
            ]
          : [])
      ]
    );
    const show = () => {
      // A search still waiting for typing to pause runs now, without taking the
      // place of the detail the user just asked for.
      if (this._debounce) {
        void this._runSearch();
      }
      this._history = [asset];
      void this._showDetail(asset);
    };
    card.addEventListener('click', show);
    card.addEventListener('keydown', (event: KeyboardEvent) => {
      if (event.target === card && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault();
        show();
      }
    });
    return card;
  }

  private _filterTag(tag: string): void {
    if (!this._tags.includes(tag)) {
      this._tags = [...this._tags, tag];
    }
    this._userSearch();
  }

  /** The user changed the query: the results take the place of any detail. */
  private _userSearch(): void {
    this._history = [];
    this._detailSeq++;
    this._showList();
    void this._runSearch();
  }

  private _showList(): void {
    this._detail?.dispose();
    this._detail = null;
    this._detailBox.hidden = true;
    this._detailBox.replaceChildren();
    this._results.hidden = false;
  }

  /** A file of the asset shown was saved in Lab: its README or problems may have changed. */
  private _onFileChanged(_: Contents.IManager, change: Contents.IChangedArgs): void {
    const path = change.newValue?.path;
    const shown = this._history[this._history.length - 1];
    if (change.type === 'save' && path && shown && this._detail) {
      if (path.startsWith(`${this._detail.asset.path}/`)) {
        void this._showDetail(shown, true);
      }
    }
  }

  /** Fetch and show an asset's detail in place of the results. */
  private async _showDetail(key: IAssetKey, keepScroll = false): Promise<void> {
    const seq = ++this._detailSeq;
    const back = button('dtaas-back', '‹ Back', () => this._back());
    this._results.hidden = true;
    this._detailBox.hidden = false;
    if (!this._detail || assetRef(this._detail.asset) !== assetRef(key)) {
      this._detailBox.replaceChildren(
        h('div', { className: 'dtaas-detail-nav' }, [back]),
        h('div', { className: 'dtaas-muted', text: `Loading ${key.title || key.name}…` })
      );
    }
    let asset: IAssetDetail;
    try {
      asset = await fetchAsset(key);
    } catch (reason) {
      if (seq === this._detailSeq) {
        this._detailBox.replaceChildren(
          h('div', { className: 'dtaas-detail-nav' }, [back]),
          h('div', { className: 'dtaas-error', text: errorText(reason) })
        );
      }
      return;
    }
    if (seq !== this._detailSeq || this.isDisposed) {
      return;
    }
    const { picks, open, goTo, configure, rendermime, contents } = this._options;
    const detail = new AssetDetailView(asset, {
      open,
      goTo,
      configure,
      show: next => {
        this._history.push(next);
        void this._showDetail(next);
      },
      pick: a => picks.add({ ref: assetRef(a), title: a.title || a.name }),
      isPicked: ref => picks.has(ref),
      filterTag: tag => this._filterTag(tag)
    });
    // The README is rendered before the detail is shown, so a reload does not jump.
    try {
      await detail.renderReadme(rendermime, contents);
    } catch (reason) {
      detail.node.querySelector('.dtaas-readme')?.replaceChildren(
        h('div', {
          className: 'dtaas-error',
          text: `Cannot show the README: ${errorText(reason)}`
        })
      );
    }
    if (seq !== this._detailSeq || this.isDisposed) {
      detail.dispose();
      return;
    }
    this._detail?.dispose();
    this._detail = detail;
    const scroll = this._body.scrollTop;
    this._detailBox.replaceChildren(
      h('div', { className: 'dtaas-detail-nav' }, [back]),
      detail.node
    );
    this._body.scrollTop = keepScroll ? scroll : 0;
  }

  /** Back to the asset shown before, or to the results. */
  private _back(): void {
    this._detailSeq++;
    this._history.pop();
    const previous = this._history[this._history.length - 1];
    if (previous) {
      void this._showDetail(previous);
    } else {
      this._showList();
    }
  }

  private _renderCart(): void {
    const picks = this._options.picks;
    const items = picks.items;
    this._cart.hidden = items.length === 0;
    this._detail?.updatePicked();
    if (items.length === 0) {
      this._cart.replaceChildren();
      return;
    }
    this._cart.replaceChildren(
      h('div', { className: 'dtaas-cart-head' }, [
        h('span', { className: 'dtaas-cart-title', text: 'For a new digital twin' }),
        h('span', { className: 'dtaas-cart-count', text: String(items.length) })
      ]),
      h(
        'ul',
        { className: 'dtaas-cart-items dtaas-plain-list' },
        items.map(item => {
          const remove = h('button', {
            className: 'dtaas-cart-remove jp-Button jp-mod-minimal',
            attrs: {
              type: 'button',
              title: `Remove ${item.ref}`,
              'aria-label': `Remove ${item.ref}`
            }
          });
          closeIcon.element({ container: remove, tag: 'span' });
          remove.addEventListener('click', () => picks.remove(item.ref));
          return h('li', { className: 'dtaas-cart-item', attrs: { 'data-ref': item.ref } }, [
            h('span', {
              className: 'dtaas-cart-item-title',
              text: item.title,
              attrs: { title: item.ref }
            }),
            remove
          ]);
        })
      ),
      h('div', { className: 'dtaas-cart-actions' }, [
        button('dtaas-create-dt', 'Create DT…', () => this._options.newDT(), 'jp-mod-accept'),
        button('dtaas-cart-clear', 'Clear', () => picks.clear())
      ])
    );
  }

  private readonly _options: ILibraryPanelOptions;
  private readonly _search: HTMLInputElement;
  private readonly _scope: HTMLSelectElement;
  private readonly _sort: HTMLSelectElement;
  private readonly _tabs: HTMLElement;
  private readonly _filters: HTMLElement;
  private readonly _summary: HTMLElement;
  private readonly _cards: HTMLElement;
  private readonly _more: HTMLButtonElement;
  private readonly _results: HTMLElement;
  private readonly _detailBox: HTMLElement;
  private readonly _body: HTMLElement;
  private readonly _cart: HTMLElement;
  private readonly _observer: IntersectionObserver;
  private _type: AssetType | 'all' = 'all';
  private _tags: string[] = [];
  /** The sort the user picked; null follows the search text. */
  private _sortChoice: string | null = null;
  private _items: ILibraryAsset[] = [];
  private _next: string | null = null;
  private _total = 0;
  private _loaded = false;
  private _loadingMore = false;
  private _debounce = 0;
  /** Numbers searches and detail loads so that late answers to older ones are dropped. */
  private _seq = 0;
  private _detailSeq = 0;
  private _abort: AbortController | null = null;
  private _detail: AssetDetailView | null = null;
  /** Details shown, oldest first; Back walks it. */
  private _history: IAssetKey[] = [];
}
