import { ISignal, Signal } from '@lumino/signaling';

/** The user's settings of the extension (Settings Editor → Digital Twins). */
export interface ISettingsValues {
  /** Milliseconds between two checks of runs in progress. */
  pollInterval: number;
  /** The compute profile the Configure tab proposes; '' is this workspace. */
  defaultProfile: string;
}

export const DEFAULT_SETTINGS: ISettingsValues = { pollInterval: 1000, defaultProfile: '' };

/** The settings every model reads; changed when the user edits them. */
export class SettingsModel {
  get values(): ISettingsValues {
    return this._values;
  }

  get changed(): ISignal<SettingsModel, ISettingsValues> {
    return this._changed;
  }

  update(values: Partial<ISettingsValues>): void {
    const next = { ...this._values, ...values };
    next.pollInterval = Math.max(250, Number(next.pollInterval) || DEFAULT_SETTINGS.pollInterval);
    this._values = next;
    this._changed.emit(next);
  }

  private _values: ISettingsValues = { ...DEFAULT_SETTINGS };
  private readonly _changed = new Signal<SettingsModel, ISettingsValues>(this);
}
