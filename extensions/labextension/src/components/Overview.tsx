import React from 'react';

import { TwinModel } from '../models/twin';
import { IDTaaSContext } from './context';
import { AssetOverview } from './OverviewSections';

/**
 * A twin's Overview tab: what its manifest says, its actions (file browser, README
 * and dt.yaml, Configure, Add to new DT), problems with their lines, the README
 * rendered, the assets it uses and what uses it, and its files.
 */
export function Overview(props: { model: TwinModel; context: IDTaaSContext }): JSX.Element {
  return <AssetOverview model={props.model} context={props.context} className="dtaas-overview" />;
}
