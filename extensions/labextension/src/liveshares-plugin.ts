import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { LiveSharesPanel } from './components/LiveShares';
import { LiveSharesModel } from './models/liveshares';

export const SHARE_WORKSPACE = 'dtaas:share-workspace';

/** The command that opens live sharing of the user's servers in a dialog. */
const liveSharesPlugin: JupyterFrontEndPlugin<void> = {
  id: 'dtaas-labextension:live-shares',
  description: 'Share the running workspace or a run server with users, groups or by link.',
  autoStart: true,
  optional: [ICommandPalette],
  activate: (app: JupyterFrontEnd, palette: ICommandPalette | null): void => {
    const model = new LiveSharesModel();
    app.commands.addCommand(SHARE_WORKSPACE, {
      label: 'DTaaS: Share this workspace…',
      caption: 'Share your running workspace or a run server with users, groups or by link',
      // the dialog stays open while the user works in it: the command ends once it is shown
      execute: () => {
        const body = ReactWidget.create(React.createElement(LiveSharesPanel, { model }));
        body.addClass('dtaas-liveshares-dialog');
        void showDialog({
          title: 'Share this workspace',
          body,
          buttons: [Dialog.okButton({ label: 'Done' })],
          // Enter in the panel's forms submits them, not the dialog
          defaultButton: -1
        });
      }
    });
    palette?.addItem({ command: SHARE_WORKSPACE, category: 'Digital Twins' });
  }
};

export default liveSharesPlugin;
