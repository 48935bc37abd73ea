import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Contents } from '@jupyterlab/services';

import type { IAssetKey } from '../api/types';
import { LibraryModel } from '../models/library';
import { PickList } from '../models/picks';
import { SharedResultsModel } from '../models/results';
import { SettingsModel } from '../models/settings';
import { TwinRegistry } from '../models/twin';

/** The tabs of a twin's page, in order. */
export const TWIN_TABS = ['overview', 'configure', 'runs', 'whatif', 'snapshots', 'sharing'] as const;
export type TwinTab = (typeof TWIN_TABS)[number];

export const TAB_LABELS: Record<TwinTab, string> = {
  overview: 'Overview',
  configure: 'Configure',
  runs: 'Runs',
  whatif: 'What-if',
  snapshots: 'Snapshots',
  sharing: 'Sharing'
};

/** What every view may use: the shared models, Lab's services and the actions of the shell. */
export interface IDTaaSContext {
  library: LibraryModel;
  registry: TwinRegistry;
  picks: PickList;
  settings: SettingsModel;
  /** Runs and snapshots others shared with the user. */
  sharedResults: SharedResultsModel;
  rendermime: IRenderMimeRegistry;
  contents: Contents.IManager;
  /** Open a workspace-relative file in Lab. */
  open(path: string): void;
  /** Show a workspace-relative folder (or a file's folder) in the file browser. */
  goTo(path: string): void;
  /** Open the page of an asset, at a tab for a twin. */
  openAsset(key: IAssetKey, tab?: TwinTab): void;
  /** Ask for a new digital twin (the dialog takes the picked assets). */
  newDT(): void;
  /** Open the curators' queue of publish requests. */
  openCuration(): void;
}
