import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { IDTRef, IRun, Scope } from './api';
import { PickList } from './cart';
import { ConfigureView } from './configure';
import { LibraryPanel } from './library';
import { trackManifestSaves } from './manifest';
import { newDigitalTwin } from './newdt';
import { DigitalTwinsPanel } from './panel';
import { RunsView } from './runsview';
import digitalTwinSvg from '../style/icons/digital-twin.svg';
import librarySvg from '../style/icons/library.svg';

export const digitalTwinIcon = new LabIcon({
  name: 'dtaas-labextension:digital-twin',
  svgstr: digitalTwinSvg
});

export const libraryIcon = new LabIcon({
  name: 'dtaas-labextension:library',
  svgstr: librarySvg
});

namespace CommandIDs {
  export const configure = 'dtaas:configure';
  export const runs = 'dtaas:runs';
  export const newDT = 'dtaas:new-dt';
  export const library = 'dtaas:library';
}

const PALETTE_CATEGORY = 'Digital Twins';

/** A main-area view of one digital twin. */
type View = Widget & { readonly dt: IDTRef };

/** Command arguments naming a digital twin; also what the layout restorer stores. */
function refArgs(dt: IDTRef): { name: string; scope: Scope; title: string } {
  return { name: dt.name, scope: dt.scope, title: dt.title ?? '' };
}

function refFrom(args: Record<string, unknown>): IDTRef {
  return {
    name: String(args.name ?? ''),
    scope: args.scope === 'private' ? 'private' : 'common',
    title: typeof args.title === 'string' ? args.title : undefined
  };
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'dtaas-labextension:plugin',
  description: 'Sidebars for the asset library and for running digital twins; manifest checks.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  optional: [ILayoutRestorer, ICommandPalette, ILauncher],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null
  ): void => {
    const { commands, shell } = app;
    const open = (path: string) => commands.execute('docmanager:open', { path });
    const goTo = (path: string) => commands.execute('filebrowser:go-to-path', { path });

    const configureViews = new WidgetTracker<MainAreaWidget<ConfigureView>>({
      namespace: 'dtaas-configure'
    });
    const runsViews = new WidgetTracker<MainAreaWidget<RunsView>>({ namespace: 'dtaas-runs' });

    const panel = new DigitalTwinsPanel({
      openNotebook: open,
      openConfigure: dt => void commands.execute(CommandIDs.configure, refArgs(dt)),
      openRuns: (dt, run) => openRuns(dt, run),
      runStarted: dt => void findView(runsViews, dt)?.content.refresh()
    });
    panel.id = 'dtaas-sidebar';
    panel.title.icon = digitalTwinIcon;
    panel.title.caption = 'Digital Twins';
    shell.add(panel, 'left', { rank: 600 });

    const picks = new PickList();
    const library = new LibraryPanel({
      rendermime,
      contents: app.serviceManager.contents,
      picks,
      open: path => void open(path),
      goTo: path => void goTo(path),
      newDT: () => void commands.execute(CommandIDs.newDT),
      configure: dt =>
        void commands.execute(
          CommandIDs.configure,
          refArgs({ name: dt.name, scope: dt.scope as Scope, title: dt.title })
        )
    });
    library.id = 'dtaas-library';
    library.title.icon = libraryIcon;
    library.title.caption = 'Library';
    shell.add(library, 'left', { rank: 590 });

    trackManifestSaves(app.serviceManager.contents);

    /** Ask for a new digital twin, then show it: its README, and its detail in the library. */
    async function newDT(): Promise<void> {
      const created = await newDigitalTwin(picks);
      if (!created) {
        return;
      }
      picks.clear();
      shell.activateById(library.id);
      library.select({
        scope: created.scope || 'private',
        type: 'digital_twins',
        name: created.name,
        title: created.title
      });
      void library.search();
      void panel.refresh();
      await open(`${created.path || `digital_twins/${created.name}`}/README.md`);
    }

    function findView<T extends View>(
      tracker: WidgetTracker<MainAreaWidget<T>>,
      dt: IDTRef
    ): MainAreaWidget<T> | undefined {
      return tracker.find(w => w.content.dt.name === dt.name && w.content.dt.scope === dt.scope);
    }

    /** The open view of a digital twin, or a new one; one per twin and kind. */
    function show<T extends View>(
      tracker: WidgetTracker<MainAreaWidget<T>>,
      kind: string,
      dt: IDTRef,
      create: () => T
    ): MainAreaWidget<T> {
      let widget = findView(tracker, dt);
      if (!widget) {
        const content = create();
        content.title.icon = digitalTwinIcon;
        content.title.caption = `${dt.name} (${dt.scope})`;
        widget = new MainAreaWidget<T>({ content });
        widget.id = `dtaas-${kind}-${dt.scope}-${dt.name}`;
        widget.title.closable = true;
        shell.add(widget, 'main');
        void tracker.add(widget);
      }
      shell.activateById(widget.id);
      return widget;
    }

    function openRuns(dt: IDTRef, run?: IRun): void {
      const widget = show(
        runsViews,
        'runs',
        dt,
        () => new RunsView({ dt, open, goTo, statusChanged: () => panel.runsChanged(dt) })
      );
      if (run) {
        widget.content.showRun(run);
      }
    }

    function openConfigure(dt: IDTRef): void {
      show(
        configureViews,
        'configure',
        dt,
        () => new ConfigureView({ dt, showRun: run => openRuns(dt, run) })
      );
    }

    commands.addCommand(CommandIDs.configure, {
      label: args =>
        args.name ? `Configure ${args.title || args.name}` : 'Configure Digital Twin',
      execute: args => openConfigure(refFrom(args))
    });
    commands.addCommand(CommandIDs.newDT, {
      label: args => (args.isLauncher ? 'New Digital Twin' : 'New Digital Twin…'),
      caption: 'Create a digital twin from a template and the assets picked in the library',
      icon: args => (args.isPalette ? undefined : digitalTwinIcon),
      execute: () => newDT()
    });
    commands.addCommand(CommandIDs.library, {
      label: 'Search the Library',
      caption: 'Find digital twins, functions, models, tools and data',
      execute: () => {
        shell.activateById(library.id);
        library.focusSearch();
      }
    });
    if (palette) {
      palette.addItem({ command: CommandIDs.newDT, category: PALETTE_CATEGORY });
      palette.addItem({ command: CommandIDs.library, category: PALETTE_CATEGORY });
    }
    if (launcher) {
      launcher.add({
        command: CommandIDs.newDT,
        category: 'Other',
        rank: 0,
        args: { isLauncher: true }
      });
    }

    commands.addCommand(CommandIDs.runs, {
      label: args => (args.name ? `Runs of ${args.title || args.name}` : 'Digital Twin Runs'),
      execute: args => openRuns(refFrom(args))
    });

    if (restorer) {
      // Reopens the sidebar on reload if it was the active one, and the open views.
      restorer.add(panel, 'dtaas-sidebar');
      restorer.add(library, 'dtaas-library');
      void restorer.restore(configureViews, {
        command: CommandIDs.configure,
        args: w => refArgs(w.content.dt),
        name: w => `${w.content.dt.scope}:${w.content.dt.name}`
      });
      void restorer.restore(runsViews, {
        command: CommandIDs.runs,
        args: w => refArgs(w.content.dt),
        name: w => `${w.content.dt.scope}:${w.content.dt.name}`
      });
    }
  }
};

export default plugin;
