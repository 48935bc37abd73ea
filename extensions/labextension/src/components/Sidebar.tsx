import { Contents } from '@jupyterlab/services';
import { addIcon, Button, closeIcon, ReactWidget, refreshIcon } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import React from 'react';

import { ASSET_TYPES, TYPE_LABELS } from '../domain/assets';
import { LibraryModel, TypeTab } from '../models/library';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';
import { PickCart } from './SidebarCart';
import { CurationLink, SharedResults } from './SidebarShared';
import { AssetList } from './SidebarList';
import { SidebarRuns } from './SidebarRuns';

/** The type tabs: every type, then one per asset type. */
const TABS: ReadonlyArray<[TypeTab, string]> = [
  ['all', 'All'],
  ...ASSET_TYPES.map((t): [TypeTab, string] => [t, TYPE_LABELS[t]])
];

const SORTS: ReadonlyArray<[string, string]> = [
  ['relevance', 'Relevance'],
  ['title', 'Title'],
  ['-modified', 'Last modified']
];

/** Changes of files that may add, change or remove an asset. */
const LIBRARY_CHANGES: ReadonlyArray<Contents.IChangedArgs['type']> = ['save', 'delete', 'rename'];

/** What the line above the results says, and whether it is an error. */
export function resultsSummary(library: LibraryModel): { text: string; error: boolean } {
  if (library.error) {
    return { text: library.error, error: true };
  }
  if (library.answered === null) {
    return { text: 'Searching…', error: false };
  }
  const shown = library.items.length;
  if (shown === 0) {
    return {
      text: library.answered.trim() ? 'Nothing matches the search' : 'No assets here',
      error: false
    };
  }
  const total = Math.max(library.total, shown);
  const noun = total === 1 ? 'asset' : 'assets';
  return {
    text: shown < total ? `${shown} of ${total} ${noun}` : `${total} ${noun}`,
    error: false
  };
}

function Header(props: { context: IDTaaSContext }): JSX.Element {
  const { context } = props;
  return (
    <div className="dtaas-header">
      <h2 className="dtaas-header-title">Digital Twins</h2>
      <span className="dtaas-spacer" />
      <Button
        minimal
        type="button"
        className="dtaas-new-dt"
        title="New digital twin"
        aria-label="New digital twin"
        onClick={() => context.newDT()}
      >
        <addIcon.react tag="span" />
      </Button>
      <Button
        minimal
        type="button"
        className="dtaas-refresh"
        title="Search again"
        aria-label="Refresh"
        onClick={() => void context.library.search()}
      >
        <refreshIcon.react tag="span" />
      </Button>
    </div>
  );
}

function Controls(props: {
  library: LibraryModel;
  searchRef: React.RefObject<HTMLInputElement>;
}): JSX.Element {
  const { library } = props;
  const { query, counts } = library;
  const scopes: Array<[string, string]> = [
    ['', 'All libraries'],
    ['mine', 'Mine'],
    ...library.groups.map((g): [string, string] => [`group:${g}`, `Group ${g}`]),
    ['common', 'Common'],
    ['shared', 'Shared with me']
  ];
  if (!scopes.some(([value]) => value === query.scope)) {
    // A group the user's groups have not arrived for yet.
    scopes.push([query.scope, query.scope]);
  }
  // The box keeps its own text: a render the model causes meanwhile (its answer, who the
  // user is) must never put back an older value under the typing; text set elsewhere
  // (a command, a tag) still arrives through the model.
  const [text, setText] = React.useState(query.q);
  const typed = React.useRef(query.q);
  React.useEffect(() => {
    if (query.q !== typed.current) {
      typed.current = query.q;
      setText(query.q);
    }
  }, [query.q]);
  const hasCounts = library.answered !== null || Object.keys(counts).length > 0;
  const all = Object.values(counts).reduce((sum, n) => sum + (Number(n) || 0), 0);
  return (
    <div className="dtaas-library-controls">
      <input
        ref={props.searchRef}
        className="dtaas-search jp-mod-styled"
        type="search"
        placeholder="Search twins and assets"
        aria-label="Search twins and assets"
        spellCheck={false}
        value={text}
        onChange={event => {
          typed.current = event.target.value;
          setText(event.target.value);
          library.setQuery({ q: event.target.value }, { typing: true });
        }}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            void library.search();
          }
        }}
      />
      <div className="dtaas-library-selects">
        <select
          className="dtaas-scope-select dtaas-select"
          aria-label="Library"
          title="Library"
          value={query.scope}
          onChange={event => library.setQuery({ scope: event.target.value })}
        >
          {scopes.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        <select
          className="dtaas-sort-select dtaas-select"
          aria-label="Sort"
          title="Sort"
          value={library.sort}
          onChange={event => library.setQuery({ sort: event.target.value })}
        >
          {SORTS.map(([value, label]) => (
            <option
              key={value}
              value={value}
              disabled={value === 'relevance' && !query.q.trim()}
            >
              {label}
            </option>
          ))}
        </select>
      </div>
      <div className="dtaas-type-tabs" role="tablist" aria-label="Asset types">
        {TABS.map(([type, label]) => {
          const selected = query.type === type;
          const count = type === 'all' ? all : (counts[type] ?? 0);
          return (
            <button
              key={type}
              type="button"
              role="tab"
              className={
                'dtaas-type-tab' +
                (selected ? ' jp-mod-selected' : '') +
                (hasCounts && count === 0 ? ' dtaas-mod-empty' : '')
              }
              data-type={type}
              aria-selected={selected}
              onClick={() => library.setQuery({ type })}
            >
              <span className="dtaas-type-label">{label}</span>
              <span className="dtaas-type-count">{hasCounts ? String(count) : ''}</span>
            </button>
          );
        })}
      </div>
      {query.tags.length ? (
        <div className="dtaas-active-filters">
          {query.tags.map(tag => (
            <button
              key={tag}
              type="button"
              className="dtaas-active-tag"
              data-tag={tag}
              title={`Stop filtering by ${tag}`}
              onClick={() => library.removeTag(tag)}
            >
              <span>{tag}</span>
              <closeIcon.react className="dtaas-chip-close" tag="span" />
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}

function SidebarBody(props: {
  context: IDTaaSContext;
  runs: SidebarRuns;
  searchRef: React.RefObject<HTMLInputElement>;
}): JSX.Element {
  const { context, runs } = props;
  const { library } = context;
  useSignal(library.changed);
  const summary = resultsSummary(library);
  return (
    <div className="dtaas-panel" id="dtaas-panel">
      <Header context={context} />
      <Controls library={library} searchRef={props.searchRef} />
      <div
        className="dtaas-results"
        data-query={library.answered ?? undefined}
        aria-busy={library.loading}
      >
        <div
          className={`dtaas-results-summary${summary.error ? ' dtaas-error' : ''}`}
          role={summary.error ? 'alert' : 'status'}
        >
          {summary.text}
        </div>
        {library.query.scope === 'shared' ? <SharedResults context={context} /> : null}
        <AssetList context={context} runs={runs} />
      </div>
      <CurationLink context={context} />
      <PickCart context={context} />
    </div>
  );
}

/** The Digital Twins sidebar: search, filters, the virtual list, the pick list and New DT. */
export class DigitalTwinsSidebar extends ReactWidget {
  constructor(readonly context: IDTaaSContext) {
    super();
    this.addClass('dtaas-sidebar');
    this.addClass('dtaas-dt-sidebar');
    this._runs = new SidebarRuns(context);
    context.contents.fileChanged.connect(this._onFileChanged, this);
  }

  /** Put the cursor in the search box. */
  focusSearch(): void {
    const focus = () => this._search.current?.focus();
    if (this._search.current) {
      focus();
    } else {
      void this.renderPromise?.then(focus);
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.context.contents.fileChanged.disconnect(this._onFileChanged, this);
    super.dispose();
    this._runs.dispose();
  }

  protected render(): JSX.Element {
    return <SidebarBody context={this.context} runs={this._runs} searchRef={this._search} />;
  }

  // The library loads lazily: nothing is asked for until the sidebar is first shown.
  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this._load();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._load();
  }

  private _load(): void {
    this._loaded = true;
    void this.context.library.ensureLoaded();
  }

  /** A file saved in Lab may be an asset's: search again once saving pauses. */
  private _onFileChanged(_: Contents.IManager, change: Contents.IChangedArgs): void {
    if (this._loaded && LIBRARY_CHANGES.includes(change.type)) {
      this.context.library.setQuery({}, { typing: true });
    }
  }

  private readonly _runs: SidebarRuns;
  private readonly _search = React.createRef<HTMLInputElement>();
  private _loaded = false;
}
