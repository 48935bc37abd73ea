import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { Muted } from './common';
import { IDTaaSContext } from './context';

/** The Digital Twins sidebar: search, filters, the virtual list, the pick list and New DT. */
export class DigitalTwinsSidebar extends ReactWidget {
  constructor(readonly context: IDTaaSContext) {
    super();
    this.addClass('dtaas-sidebar');
  }

  /** Put the cursor in the search box. */
  focusSearch(): void {
    this.node.querySelector<HTMLInputElement>('input.dtaas-search')?.focus();
  }

  protected render(): JSX.Element {
    return <Muted>Digital Twins</Muted>;
  }
}
