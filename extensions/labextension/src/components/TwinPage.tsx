import { ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import React from 'react';

import { TwinModel } from '../models/twin';
import { AssetPage } from './AssetPage';
import { ErrorText, Muted, ScopeBadge, TypeBadge } from './common';
import { Configure } from './Configure';
import { IDTaaSContext, TAB_LABELS, TWIN_TABS, TwinTab } from './context';
import { useSignal } from './hooks';
import { Overview } from './Overview';
import { Runs } from './Runs';
import { Sharing } from './Sharing';
import { Snapshots } from './Snapshots';
import { WhatIf } from './WhatIf';

/** The tabs of the page of an asset that is not a twin. */
const ASSET_TABS: readonly TwinTab[] = ['overview', 'sharing'];

function TabBar(props: {
  tabs: readonly TwinTab[];
  current: TwinTab;
  select: (tab: TwinTab) => void;
}): JSX.Element {
  return (
    <div className="dtaas-page-tabs" role="tablist">
      {props.tabs.map(tab => (
        <button
          key={tab}
          type="button"
          role="tab"
          className={`dtaas-page-tab${tab === props.current ? ' jp-mod-selected' : ''}`}
          data-tab={tab}
          aria-selected={tab === props.current}
          onClick={() => props.select(tab)}
        >
          {TAB_LABELS[tab]}
        </button>
      ))}
    </div>
  );
}

function PageBody(props: { page: TwinPage }): JSX.Element {
  const { page } = props;
  const { model, context } = page;
  useSignal(model.changed);
  useSignal(page.tabChanged);
  const detail = model.detail;
  const tabs: readonly TwinTab[] = model.isTwin ? TWIN_TABS : ASSET_TABS;
  const tab = tabs.includes(page.tab) ? page.tab : 'overview';
  let body: React.ReactNode;
  if (!model.loaded) {
    body = <Muted>Loading…</Muted>;
  } else if (tab === 'sharing') {
    body = <Sharing model={model} context={context} />;
  } else if (!model.isTwin) {
    body = <AssetPage model={model} context={context} />;
  } else if (tab === 'overview') {
    body = <Overview model={model} context={context} />;
  } else if (
    tab === 'configure' ||
    tab === 'runs' ||
    tab === 'snapshots' ||
    tab === 'whatif'
  ) {
    body = model.runs ? (
      tab === 'whatif' ? (
        <WhatIf model={model} context={context} />
      ) : tab === 'configure' ? (
        <Configure model={model} runs={model.runs} context={context} />
      ) : tab === 'runs' ? (
        <Runs model={model} runs={model.runs} context={context} />
      ) : (
        <Snapshots model={model} runs={model.runs} context={context} />
      )
    ) : (
      <Muted>This twin's library is not one your workspace runs twins from.</Muted>
    );
  }
  return (
    <div
      className="dtaas-page"
      data-ref={model.ref}
      data-path={detail?.path ?? ''}
      data-type={model.key.type}
      data-scope={model.key.scope}
    >
      <div className="dtaas-page-header">
        <h2 className="dtaas-page-title">{model.title}</h2>
        <TypeBadge type={model.key.type} />
        <ScopeBadge scope={model.key.scope} />
        {detail?.version ? <span className="dtaas-version">v{detail.version}</span> : null}
      </div>
      <ErrorText text={model.detailError} />
      <TabBar tabs={tabs} current={tab} select={t => page.setTab(t)} />
      <div className="dtaas-page-body" data-tab={tab}>
        {body}
      </div>
    </div>
  );
}

/** The page of one asset in the main area; twins get tabs. */
export class TwinPage extends ReactWidget {
  constructor(
    readonly model: TwinModel,
    readonly context: IDTaaSContext,
    tab: TwinTab = 'overview'
  ) {
    super();
    this._tab = tab;
    this.addClass('dtaas-page-widget');
    this.title.label = model.title;
    this.title.caption = model.ref;
    model.changed.connect(() => {
      this.title.label = model.title;
    }, this);
    if (!model.loaded) {
      void model.load();
    }
  }

  get tab(): TwinTab {
    return this._tab;
  }

  /** The open tab changed; the layout restorer and commands follow it. */
  get tabChanged(): ISignal<TwinPage, TwinTab> {
    return this._tabChanged;
  }

  setTab(tab: TwinTab): void {
    if (tab !== this._tab) {
      this._tab = tab;
      this._tabChanged.emit(tab);
    }
  }

  protected render(): JSX.Element {
    return <PageBody page={this} />;
  }

  dispose(): void {
    Signal.clearData(this);
    super.dispose();
  }

  private _tab: TwinTab;
  private readonly _tabChanged = new Signal<TwinPage, TwinTab>(this);
}
