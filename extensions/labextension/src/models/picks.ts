import { ISignal, Signal } from '@lumino/signaling';

/** An asset picked for a new digital twin. */
export interface IPick {
  /** `<scope token>/<type>/<name>`, as dt.yaml lists it. */
  ref: string;
  title: string;
}

/** The assets picked for the next new digital twin, shared by the sidebar and the dialog. */
export class PickList {
  get items(): readonly IPick[] {
    return this._items;
  }

  get changed(): ISignal<PickList, void> {
    return this._changed;
  }

  has(ref: string): boolean {
    return this._items.some(item => item.ref === ref);
  }

  add(pick: IPick): void {
    if (!this.has(pick.ref)) {
      this._items = [...this._items, pick];
      this._changed.emit();
    }
  }

  remove(ref: string): void {
    const items = this._items.filter(item => item.ref !== ref);
    if (items.length !== this._items.length) {
      this._items = items;
      this._changed.emit();
    }
  }

  clear(): void {
    if (this._items.length > 0) {
      this._items = [];
      this._changed.emit();
    }
  }

  private _items: IPick[] = [];
  private readonly _changed = new Signal<PickList, void>(this);
}
