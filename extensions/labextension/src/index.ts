import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { IDTRef, IRun, Scope } from './api';
import { ConfigureView } from './configure';
import { DigitalTwinsPanel } from './panel';
import { RunsView } from './runsview';
import digitalTwinSvg from '../style/icons/digital-twin.svg';

export const digitalTwinIcon = new LabIcon({
  name: 'dtaas-labextension:digital-twin',
  svgstr: digitalTwinSvg
});

namespace CommandIDs {
  export const configure = 'dtaas:configure';
  export const runs = 'dtaas:runs';
}

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
  description: 'Sidebar for browsing the digital twin library and running digital twins.',
  autoStart: true,
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, restorer: ILayoutRestorer | null): void => {
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
    commands.addCommand(CommandIDs.runs, {
      label: args => (args.name ? `Runs of ${args.title || args.name}` : 'Digital Twin Runs'),
      execute: args => openRuns(refFrom(args))
    });

    if (restorer) {
      // Reopens the sidebar on reload if it was the active one, and the open views.
      restorer.add(panel, 'dtaas-sidebar');
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
