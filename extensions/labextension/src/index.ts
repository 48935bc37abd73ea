import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { LabIcon } from '@jupyterlab/ui-components';

import { DigitalTwinsPanel } from './panel';
import digitalTwinSvg from '../style/icons/digital-twin.svg';

export const digitalTwinIcon = new LabIcon({
  name: 'dtaas-labextension:digital-twin',
  svgstr: digitalTwinSvg
});

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'dtaas-labextension:plugin',
  description: 'Sidebar for browsing the digital twin library and running digital twins.',
  autoStart: true,
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, restorer: ILayoutRestorer | null): void => {
    const panel = new DigitalTwinsPanel({
      openNotebook: (path: string) => app.commands.execute('docmanager:open', { path })
    });
    panel.id = 'dtaas-sidebar';
    panel.title.icon = digitalTwinIcon;
    panel.title.caption = 'Digital Twins';
    app.shell.add(panel, 'left', { rank: 600 });
    // Reopens the sidebar on reload if it was the active one.
    restorer?.add(panel, 'dtaas-sidebar');
  }
};

export default plugin;
