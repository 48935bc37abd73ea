import { ISignal } from '@lumino/signaling';
import { useEffect, useReducer } from 'react';

/** Render again whenever the signal fires: views read their state from the model. */
export function useSignal(signal: ISignal<unknown, unknown> | null | undefined): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    if (!signal) {
      return;
    }
    const slot = () => bump();
    signal.connect(slot);
    return () => {
      signal.disconnect(slot);
    };
  }, [signal]);
}
