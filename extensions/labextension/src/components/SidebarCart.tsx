import { Button, closeIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { IDTaaSContext } from './context';
import { useSignal } from './hooks';

/** The assets picked for a new digital twin; hidden while there are none. */
export function PickCart(props: { context: IDTaaSContext }): JSX.Element | null {
  const { picks } = props.context;
  useSignal(picks.changed);
  const items = picks.items;
  if (items.length === 0) {
    return null;
  }
  return (
    <div className="dtaas-cart" aria-label="Picked for a new digital twin">
      <div className="dtaas-cart-head">
        <span className="dtaas-cart-title">For a new digital twin</span>
        <span className="dtaas-cart-count">{items.length}</span>
      </div>
      <ul className="dtaas-cart-items dtaas-plain-list">
        {items.map(item => (
          <li key={item.ref} className="dtaas-cart-item" data-ref={item.ref}>
            <span className="dtaas-cart-item-title" title={item.ref}>
              {item.title}
            </span>
            <Button
              minimal
              type="button"
              className="dtaas-cart-remove"
              title={`Remove ${item.ref}`}
              aria-label={`Remove ${item.ref}`}
              onClick={() => picks.remove(item.ref)}
            >
              <closeIcon.react tag="span" />
            </Button>
          </li>
        ))}
      </ul>
      <div className="dtaas-cart-actions">
        <Button
          type="button"
          className="dtaas-create-dt jp-mod-styled jp-mod-accept"
          onClick={() => props.context.newDT()}
        >
          Create DT…
        </Button>
        <Button
          type="button"
          className="dtaas-cart-clear jp-mod-styled jp-mod-reject"
          onClick={() => picks.clear()}
        >
          Clear
        </Button>
      </div>
    </div>
  );
}
