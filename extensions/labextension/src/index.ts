import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  MainAreaWidget,
  Notification,
  showErrorMessage,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';

import { errorText } from './api/client';
import { searchLibrary } from './api/library';
import type { Asset, AssetType, IAssetKey } from './api/types';
import { ASSET_TYPES, assetRef } from './domain/assets';
import { isFinished } from './domain/format';
import { initialProfile, profileOptions } from './domain/parameters';
import { respawnStep, snapshotTitle } from './domain/snapshots';
import { IDTaaSContext, TWIN_TABS, TwinTab } from './components/context';
import { trackManifestSaves } from './components/ManifestChecks';
import { newDigitalTwin } from './components/NewDT';
import { CurationQueue } from './components/Curation';
import { DigitalTwinsSidebar } from './components/Sidebar';
import { TwinPage } from './components/TwinPage';
import { CurationModel } from './models/curation';
import { LibraryModel } from './models/library';
import { PickList } from './models/picks';
import { SharedResultsModel } from './models/results';
import { snapshotsOf } from './models/snapshots';
import { ISettingsValues, SettingsModel } from './models/settings';
import { TwinRegistry } from './models/twin';
import digitalTwinSvg from '../style/icons/digital-twin.svg';
import liveSharesPlugin from './liveshares-plugin';

export const digitalTwinIcon = new LabIcon({
  name: 'dtaas-labextension:digital-twin',
  svgstr: digitalTwinSvg
});

const PLUGIN_ID = 'dtaas-labextension:plugin';

namespace CommandIDs {
  export const open = 'dtaas:open';
  export const configure = 'dtaas:configure';
  export const run = 'dtaas:run';
  export const compare = 'dtaas:compare';
  export const refresh = 'dtaas:refresh';
  export const newDT = 'dtaas:new-dt';
  export const search = 'dtaas:search';
  export const save = 'dtaas:save';
  export const respawn = 'dtaas:respawn';
  export const sweep = 'dtaas:sweep';
  export const curation = 'dtaas:curation-queue';
}

const PALETTE_CATEGORY = 'Digital Twins';

/** The step a quick run starts. */
const RUN_STEP = 'execute';

/** Twins the palette's picker offers. */
const PICK_LIMIT = 200;

/** Command arguments naming an asset; also what the layout restorer stores. */
function keyArgs(key: IAssetKey, tab?: TwinTab): Record<string, string> {
  return {
    scope: key.scope,
    type: key.type,
    name: key.name,
    title: key.title ?? '',
    ...(tab ? { tab } : {})
  };
}

function keyFrom(args: Record<string, unknown>): IAssetKey | null {
  const name = typeof args.name === 'string' ? args.name : '';
  const scope = typeof args.scope === 'string' ? args.scope : '';
  const type = (typeof args.type === 'string' ? args.type : 'digital_twins') as AssetType;
  if (!name || !scope || !ASSET_TYPES.includes(type)) {
    return null;
  }
  return { name, scope, type, title: typeof args.title === 'string' ? args.title : undefined };
}

function tabFrom(args: Record<string, unknown>): TwinTab | undefined {
  return TWIN_TABS.find(t => t === args.tab);
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The Digital Twins sidebar, a page per twin and asset, and manifest checks.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  optional: [ILayoutRestorer, ICommandPalette, ILauncher, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    settingRegistry: ISettingRegistry | null
  ): void => {
    const { commands, shell } = app;
    const contents = app.serviceManager.contents;
    const settings = new SettingsModel();
    const library = new LibraryModel();
    const registry = new TwinRegistry(settings);
    const picks = new PickList();
    const pages = new WidgetTracker<MainAreaWidget<TwinPage>>({ namespace: 'dtaas-page' });
    const curations = new WidgetTracker<MainAreaWidget<CurationQueue>>({
      namespace: 'dtaas-curation'
    });
    let curation: CurationModel | null = null;

    const context: IDTaaSContext = {
      library,
      registry,
      picks,
      settings,
      sharedResults: new SharedResultsModel(),
      rendermime,
      contents,
      open: path => void commands.execute('docmanager:open', { path }),
      goTo: path => void commands.execute('filebrowser:go-to-path', { path }),
      openAsset: (key, tab) => openPage(key, tab),
      newDT: () => void commands.execute(CommandIDs.newDT),
      openCuration: () => void commands.execute(CommandIDs.curation)
    };

    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(
        loaded => {
          const apply = () => settings.update(loaded.composite as unknown as ISettingsValues);
          apply();
          loaded.changed.connect(apply);
        },
        reason => console.warn(`Digital Twins settings: ${errorText(reason)}`)
      );
    }

    const sidebar = new DigitalTwinsSidebar(context);
    sidebar.id = 'dtaas-sidebar';
    sidebar.title.icon = digitalTwinIcon;
    sidebar.title.caption = 'Digital Twins';
    shell.add(sidebar, 'left', { rank: 600 });

    trackManifestSaves(contents);
    // A saved file of an asset may change its README, problems or list of configurations.
    contents.fileChanged.connect((_, change) => {
      const path = change.newValue?.path;
      if (change.type === 'save' && path) {
        registry.under(path).forEach(model => void model.load());
      }
    });

    /** The twin page last in front: commands from the palette act on it. */
    function currentPage(): MainAreaWidget<TwinPage> | null {
      return pages.currentWidget;
    }

    /** The open page of an asset, or a new one: one page per asset. */
    function openPage(key: IAssetKey, tab?: TwinTab): MainAreaWidget<TwinPage> {
      const ref = assetRef(key);
      let widget = pages.find(w => w.content.model.ref === ref);
      if (!widget) {
        const content = new TwinPage(registry.twin(key), context, tab);
        content.title.icon = digitalTwinIcon;
        widget = new MainAreaWidget<TwinPage>({ content });
        widget.id = `dtaas-page-${ref.replace(/[^A-Za-z0-9_-]/g, '-')}`;
        widget.title.closable = true;
        widget.title.icon = digitalTwinIcon;
        content.tabChanged.connect(() => void pages.save(widget!));
        shell.add(widget, 'main');
        void pages.add(widget);
      } else if (tab) {
        widget.content.setTab(tab);
      }
      shell.activateById(widget.id);
      return widget;
    }

    /** Ask which twin, from the palette: the user's twins by title. */
    async function pickTwin(): Promise<IAssetKey | null> {
      let twins: Asset[];
      try {
        twins = (await searchLibrary({ types: ['digital_twins'], sort: 'title', limit: PICK_LIMIT }))
          .items;
      } catch (reason) {
        void showErrorMessage('Cannot list the digital twins', errorText(reason));
        return null;
      }
      const labels = twins.map(t => `${t.title || t.name} (${assetRef(t)})`);
      const answer = await InputDialog.getItem({
        title: 'Open Digital Twin',
        items: labels,
        okLabel: 'Open'
      });
      const twin = answer.button.accept ? twins[labels.indexOf(answer.value ?? '')] : undefined;
      return twin ? { scope: twin.scope, type: twin.type, name: twin.name, title: twin.title } : null;
    }

    async function newDT(): Promise<void> {
      const created = await newDigitalTwin(picks);
      if (!created) {
        return;
      }
      picks.clear();
      void library.search();
      openPage({ scope: created.scope, type: 'digital_twins', name: created.name });
      context.open(`${created.path}/README.md`);
    }

    commands.addCommand(CommandIDs.open, {
      label: args =>
        args.name ? `Open ${args.title || args.name}` : 'Open Digital Twin Page',
      caption: 'Open the page of a digital twin or asset',
      execute: async args => {
        const key = keyFrom(args) ?? (await pickTwin());
        if (key) {
          openPage(key, tabFrom(args));
        }
      }
    });
    commands.addCommand(CommandIDs.configure, {
      label: args => (args.name ? `Configure ${args.title || args.name}` : 'Configure Digital Twin'),
      execute: async args => {
        const key = keyFrom(args) ?? currentPage()?.content.model.key ?? (await pickTwin());
        if (key) {
          openPage(key, 'configure');
        }
      }
    });
    commands.addCommand(CommandIDs.run, {
      label: args => (args.name ? `Run ${args.title || args.name}` : 'Run Digital Twin'),
      caption: `Run the ${RUN_STEP} step with the default values`,
      execute: async args => {
        const key = keyFrom(args) ?? currentPage()?.content.model.key ?? (await pickTwin());
        const twin = key ? registry.twin(key) : null;
        if (!key || !twin) {
          return;
        }
        if (!twin.runs) {
          void showErrorMessage(`Cannot run ${key.name}`, 'Only your own and common twins run here.');
          return;
        }
        openPage(key, 'runs');
        try {
          await twin.runs.start({ dt: key.name, steps: [RUN_STEP] });
        } catch (reason) {
          void showErrorMessage(`Cannot run ${key.name}`, errorText(reason));
        }
      }
    });
    commands.addCommand(CommandIDs.compare, {
      label: 'Compare Runs',
      caption: 'Compare the runs ticked on the Runs tab (the two newest if none are)',
      execute: async () => {
        const key = currentPage()?.content.model.key ?? (await pickTwin());
        const runs = key ? registry.twin(key).runs : null;
        if (!key || !runs) {
          return;
        }
        openPage(key, 'runs');
        if (runs.compared.length < 2) {
          if (!runs.loaded) {
            await runs.refresh();
          }
          runs.clearCompared();
          runs.runs
            .filter(r => isFinished(r.status))
            .slice(0, 2)
            .forEach(r => runs.toggleCompared(r.id));
        }
      }
    });
    commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh Digital Twins',
      caption: 'Search the library again and reload the twin page shown',
      execute: async () => {
        const page = currentPage();
        await Promise.all([
          library.search(),
          page ? page.content.model.load() : Promise.resolve(),
          page?.content.model.runs?.refresh() ?? Promise.resolve(),
          page?.content.model.runs && snapshotsOf(page.content.model.runs).loaded
            ? snapshotsOf(page.content.model.runs).refresh()
            : Promise.resolve()
        ]);
      }
    });
    commands.addCommand(CommandIDs.newDT, {
      label: args => (args.isLauncher ? 'New Digital Twin' : 'New Digital Twin…'),
      caption: 'Create a digital twin from a template and the assets picked in the sidebar',
      icon: args => (args.isPalette ? undefined : digitalTwinIcon),
      execute: () => newDT()
    });
    commands.addCommand(CommandIDs.search, {
      label: 'Search Digital Twins and Assets',
      caption: 'Find digital twins, functions, models, tools and data',
      execute: () => {
        shell.activateById(sidebar.id);
        sidebar.focusSearch();
      }
    });
    commands.addCommand(CommandIDs.save, {
      label: 'Save Run as Snapshot',
      caption: 'Take a snapshot of the run selected on the twin page in front (a live run goes on)',
      execute: async () => {
        const key = currentPage()?.content.model.key ?? (await pickTwin());
        const runs = key ? registry.twin(key).runs : null;
        if (!key || !runs) {
          return;
        }
        if (!runs.loaded) {
          await runs.refresh();
        }
        const run = runs.selected ?? runs.runs[0];
        if (!run) {
          void showErrorMessage(`Cannot save ${key.name}`, 'The twin has no runs to save.');
          return;
        }
        try {
          const result = await snapshotsOf(runs).save(run.id);
          if (result.snapshot) {
            const id = result.snapshot.id;
            Notification.success(`Saved snapshot ${snapshotTitle(result.snapshot)}`, {
              autoClose: 5000,
              actions: [
                {
                  label: 'Show',
                  callback: () => {
                    snapshotsOf(runs).select(id);
                    openPage(key, 'snapshots');
                  }
                }
              ]
            });
          } else {
            Notification.info(`The snapshot of run ${run.id} is taken when its step ends`, {
              autoClose: 5000
            });
          }
        } catch (reason) {
          void showErrorMessage(`Cannot save run ${run.id}`, errorText(reason));
        }
      }
    });
    commands.addCommand(CommandIDs.respawn, {
      label: 'Respawn from Snapshot',
      caption:
        "A new run from the snapshot selected on the twin page in front, at the snapshot's step",
      execute: async () => {
        const key = currentPage()?.content.model.key ?? (await pickTwin());
        const twin = key ? registry.twin(key) : null;
        const runs = twin?.runs ?? null;
        if (!key || !twin || !runs) {
          return;
        }
        const snapshots = snapshotsOf(runs);
        if (!snapshots.loaded) {
          await snapshots.refresh();
        }
        const snapshot = snapshots.selected ?? snapshots.list[0];
        if (!snapshot) {
          void showErrorMessage(`Cannot respawn ${key.name}`, 'The twin has no snapshots.');
          return;
        }
        if (!twin.loaded) {
          await twin.load();
        }
        const steps = (twin.info?.steps ?? []).map(s => s.name);
        try {
          await snapshots.respawn(snapshot.id, {
            step: respawnStep(snapshot, steps),
            profile: initialProfile(profileOptions(twin.profiles), settings.values.defaultProfile)
          });
          openPage(key, 'runs');
        } catch (reason) {
          void showErrorMessage(`Cannot respawn ${snapshotTitle(snapshot)}`, errorText(reason));
        }
      }
    });
    commands.addCommand(CommandIDs.sweep, {
      label: args => (args.name ? `What-if Sweep of ${args.title || args.name}` : 'What-if Sweep'),
      caption: 'Sweep scenarios of a digital twin on its What-if tab',
      execute: async args => {
        const key = keyFrom(args) ?? currentPage()?.content.model.key ?? (await pickTwin());
        if (key) {
          openPage(key, 'whatif');
        }
      }
    });
    commands.addCommand(CommandIDs.curation, {
      label: 'DTaaS: Curation queue',
      caption: 'Publish requests to the common library waiting for a curator',
      execute: () => {
        let widget = curations.currentWidget;
        if (!widget || widget.isDisposed) {
          curation = curation ?? new CurationModel(settings);
          const content = new CurationQueue(curation, context);
          widget = new MainAreaWidget<CurationQueue>({ content });
          widget.id = 'dtaas-curation';
          widget.title.label = 'Curation queue';
          widget.title.icon = digitalTwinIcon;
          widget.title.closable = true;
          shell.add(widget, 'main');
          void curations.add(widget);
        }
        shell.activateById(widget.id);
      }
    });
    if (palette) {
      for (const command of [
        CommandIDs.open,
        CommandIDs.search,
        CommandIDs.newDT,
        CommandIDs.configure,
        CommandIDs.run,
        CommandIDs.compare,
        CommandIDs.save,
        CommandIDs.respawn,
        CommandIDs.sweep,
        CommandIDs.curation,
        CommandIDs.refresh
      ]) {
        palette.addItem({ command, category: PALETTE_CATEGORY });
      }
    }
    if (launcher) {
      launcher.add({ command: CommandIDs.newDT, category: 'Other', rank: 0, args: { isLauncher: true } });
    }

    if (restorer) {
      // Reopens the sidebar if it was the active one, and every page at its tab.
      restorer.add(sidebar, 'dtaas-sidebar');
      void restorer.restore(pages, {
        command: CommandIDs.open,
        args: w => keyArgs(w.content.model.key, w.content.tab),
        name: w => w.content.model.ref
      });
      void restorer.restore(curations, {
        command: CommandIDs.curation,
        name: () => 'curation'
      });
    }
  }
};

export default [plugin, liveSharesPlugin];
