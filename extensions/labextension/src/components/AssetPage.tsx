import React from 'react';

import { TwinModel } from '../models/twin';
import { IDTaaSContext } from './context';
import { AssetOverview } from './OverviewSections';

/**
 * The page of a function, model, tool or data asset: what its asset.yaml says, its
 * actions, problems, README, the twins that use it and its files.
 */
export function AssetPage(props: { model: TwinModel; context: IDTaaSContext }): JSX.Element {
  return (
    <AssetOverview model={props.model} context={props.context} className="dtaas-asset-page" />
  );
}
