import React from 'react';

import { TwinModel } from '../models/twin';
import { Muted } from './common';
import { IDTaaSContext } from './context';

export function AssetPage(props: { model: TwinModel; context: IDTaaSContext }): JSX.Element {
  return <Muted>{props.model.title}</Muted>;
}
