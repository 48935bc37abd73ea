import { addIcon, checkIcon, runIcon } from '@jupyterlab/ui-components';
import React, { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { FixedSizeList, ListChildComponentProps, ListOnItemsRenderedProps } from 'react-window';

import type { Asset, IAssetKey } from '../api/types';
import { assetRef, isSharedScope, problemText, runScope, TYPE_NAMES } from '../domain/assets';
import { hasRole, ownerOf } from '../domain/sharing';
import { formatModified } from '../domain/format';
import { ErrorText, ScopeBadge, TagChip } from './common';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';
import { RUN_STEP, RunChip, SidebarRuns } from './SidebarRuns';

/** Every card has this height, so the list can place any row without measuring it. */
export const ROW_HEIGHT = 74;

/** Rows drawn beyond the visible ones, above and below. */
const OVERSCAN = 4;

/** The next page is asked for when a row this close to the last loaded one shows. */
const LOAD_AHEAD = 5;

/** The height of an element, followed as the panel is resized. */
function useHeight(): [React.RefObject<HTMLDivElement>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [height, setHeight] = useState(0);
  useLayoutEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    setHeight(node.clientHeight);
    const observer = new ResizeObserver(entries => {
      const box = entries[entries.length - 1]?.contentRect;
      if (box) {
        setHeight(Math.floor(box.height));
      }
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, []);
  return [ref, height];
}

function keyOf(asset: Asset): IAssetKey {
  return { scope: asset.scope, type: asset.type, name: asset.name, title: asset.title };
}

/** A twin the runtime can run, with the step a card's run button starts. */
function canRun(asset: Asset): boolean {
  return (
    asset.type === 'digital_twins' &&
    runScope(asset.scope) !== null &&
    (!asset.role || hasRole(asset.role, 'run')) &&
    (!asset.steps || asset.steps.includes(RUN_STEP))
  );
}

interface IRowData {
  items: readonly Asset[];
  context: IDTaaSContext;
  runs: SidebarRuns;
  showType: boolean;
  /** The list shows what others shared with the user: cards say the owner and the role. */
  sharedView: boolean;
}

function PickButton(props: { context: IDTaaSContext; asset: Asset }): JSX.Element {
  const { picks } = props.context;
  useSignal(picks.changed);
  const { asset } = props;
  const ref = assetRef(asset);
  const picked = picks.has(ref);
  const name = asset.title || asset.name;
  return (
    <button
      type="button"
      className={`dtaas-card-pick jp-Button jp-mod-minimal${picked ? ' jp-mod-selected' : ''}`}
      aria-pressed={picked}
      title={picked ? `${name} is picked for a new DT; click to leave it out` : 'Add to new DT'}
      aria-label={picked ? `Leave ${name} out of the new DT` : `Add ${name} to new DT`}
      onClick={event => {
        event.stopPropagation();
        if (picked) {
          picks.remove(ref);
        } else {
          picks.add({ ref, title: name });
        }
      }}
    >
      {picked ? <checkIcon.react tag="span" /> : <addIcon.react tag="span" />}
    </button>
  );
}

function RunButton(props: { runs: SidebarRuns; asset: Asset }): JSX.Element {
  const { runs, asset } = props;
  useSignal(runs.changed);
  const key = keyOf(asset);
  return (
    <button
      type="button"
      className="dtaas-card-run jp-Button jp-mod-minimal"
      title={`Run the ${RUN_STEP} step with the default values`}
      aria-label={`Run ${asset.title || asset.name}`}
      disabled={runs.starting(key)}
      onClick={event => {
        event.stopPropagation();
        void runs.run(key);
      }}
    >
      <runIcon.react tag="span" />
    </button>
  );
}

function CardFoot(props: { runs: SidebarRuns; context: IDTaaSContext; asset: Asset }): JSX.Element {
  const { runs, context, asset } = props;
  useSignal(runs.changed);
  const error = runs.error(keyOf(asset));
  if (error) {
    return <ErrorText className="dtaas-card-error" text={error} />;
  }
  return (
    <div className="dtaas-tags dtaas-card-tags">
      {(asset.tags ?? []).map(tag => (
        <TagChip key={tag} tag={tag} onClick={t => context.library.addTag(t)} />
      ))}
    </div>
  );
}

/** One asset of the list: click (or Enter, Space) opens its page. */
function Card(props: ListChildComponentProps<IRowData>): JSX.Element {
  const { index, style, data } = props;
  const { context, runs, showType } = data;
  const asset = data.items[index];
  const problems = asset.problems ?? [];
  const modified = formatModified(asset.modified);
  const open = () => context.openAsset(keyOf(asset));
  const scope = runScope(asset.scope);
  const shared = isSharedScope(asset.scope) || (data.sharedView && asset.scope !== 'private');
  const sharing = shared ? ` · shared by ${ownerOf(asset.scope)} as ${asset.role ?? 'view'}` : '';
  return (
    <li
      className="dtaas-card"
      style={style}
      data-path={asset.path}
      data-scope={asset.scope}
      data-type={asset.type}
      data-role={asset.role ?? ''}
      role="button"
      tabIndex={0}
      title={`${assetRef(asset)}${sharing}${modified ? ` · ${modified}` : ''}`}
      onClick={open}
      onKeyDown={event => {
        if (event.target === event.currentTarget && (event.key === 'Enter' || event.key === ' ')) {
          event.preventDefault();
          open();
        }
      }}
    >
      <div className="dtaas-card-head">
        <span className="dtaas-card-title">{asset.title || asset.name}</span>
        <ScopeBadge scope={asset.scope} />
        {shared ? (
          <span className="dtaas-role-badge" data-role={asset.role ?? ''} title={`Your role: ${asset.role ?? 'view'}`}>
            {asset.role ?? 'view'}
          </span>
        ) : null}
        {problems.length ? (
          <span
            className="dtaas-problems-badge"
            title={problems.map(p => (typeof p === 'string' ? p : problemText(p))).join('\n')}
          >
            {`${problems.length} problem${problems.length === 1 ? '' : 's'}`}
          </span>
        ) : null}
        {asset.type === 'digital_twins' && scope ? (
          <RunChip runs={runs} scope={scope} dt={asset.name} />
        ) : null}
        <span className="dtaas-card-actions">
          {canRun(asset) ? <RunButton runs={runs} asset={asset} /> : null}
          <PickButton context={context} asset={asset} />
        </span>
      </div>
      <div className="dtaas-card-line">
        {showType ? <span className="dtaas-card-type">{TYPE_NAMES[asset.type]}</span> : null}
        <span className="dtaas-card-description">{asset.description}</span>
      </div>
      <CardFoot runs={runs} context={context} asset={asset} />
    </li>
  );
}

function itemKey(index: number, data: IRowData): string {
  const asset = data.items[index];
  return `${asset.scope}:${asset.path}`;
}

/**
 * The results as a virtual list: only the rows in view (and a few more) are in the
 * page, so ten thousand assets scroll as smoothly as ten. Its height follows the
 * panel; the next page loads when the last loaded rows come into view.
 */
export function AssetList(props: { context: IDTaaSContext; runs: SidebarRuns }): JSX.Element {
  const { context, runs } = props;
  const { library } = context;
  const [box, height] = useHeight();
  const list = useRef<FixedSizeList<IRowData>>(null);
  const items = library.items;
  const showType = library.query.type === 'all';
  const sharedView = library.query.scope === 'shared';

  // A changed query starts at the top; a repeated one (a file was saved) keeps the place.
  const queryKey = JSON.stringify(library.query);
  useEffect(() => {
    list.current?.scrollTo(0);
  }, [queryKey]);

  const data = useMemo<IRowData>(
    () => ({ items, context, runs, showType, sharedView }),
    [items, context, runs, showType, sharedView]
  );
  const onItemsRendered = ({ visibleStopIndex }: ListOnItemsRenderedProps) => {
    if (library.hasMore && visibleStopIndex >= items.length - LOAD_AHEAD) {
      void library.loadMore();
    }
  };
  return (
    <div className="dtaas-results-list" ref={box}>
      {height > 0 ? (
        <FixedSizeList<IRowData>
          ref={list}
          className="dtaas-cards-scroll"
          innerElementType="ul"
          height={height}
          width="100%"
          itemCount={items.length}
          itemSize={ROW_HEIGHT}
          itemData={data}
          itemKey={itemKey}
          overscanCount={OVERSCAN}
          onItemsRendered={onItemsRendered}
        >
          {Card}
        </FixedSizeList>
      ) : null}
    </div>
  );
}
