import React from 'react';

import { RunsModel } from '../models/runs';
import { TwinModel } from '../models/twin';
import { Muted } from './common';
import { IDTaaSContext } from './context';

export function Runs(props: { model: TwinModel; runs: RunsModel; context: IDTaaSContext }): JSX.Element {
  return <Muted>{props.model.title}</Muted>;
}
