/**
 * oci-magic's JupyterLab extension: the frontend end of the `oci_magic` comm (cells inserted live below the
 * `%%oci` cell), a sidebar for the active notebook, and the "Fix this error" command. `activate` only wires
 * them: the state is the model's (model.ts), what messages do to the notebook is notebook.ts's.
 */

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import { ICompletionProviderManager } from '@jupyterlab/completer';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelMessage as KM } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';

import { fixCellSource, ociCellSource, planCellSource } from './cells';
import { CommandIDs, PLUGIN_ID } from './commands';
import { OciModel } from './model';
import { addAndRun, insertCells, removeCells, replaceCell } from './notebook';
import { OciSidebar } from './sidebar';
import { OciInlineProvider } from './suggestions';
import { COMM_TARGET, KernelMessage } from './tokens';

const ociIcon = new LabIcon({
  name: 'oci-magic:icon',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path class="jp-icon3" fill="#616161" ' +
    'd="M8 5l-6 7 6 7 1.5-1.3L4.6 12l4.9-5.7zm8 0l-1.5 1.3 4.9 5.7-4.9 5.7L16 19l6-7z"/></svg>'
});

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'oci-magic: a sidebar for the %%oci repair loop, and live cell insertion',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ISettingRegistry, ICompletionProviderManager],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    completion: ICompletionProviderManager | null
  ) => {
    const model = new OciModel<Kernel.IKernelConnection>();
    const activeKernel = (): Kernel.IKernelConnection | null =>
      tracker.currentWidget?.sessionContext.session?.kernel ?? null;

    const panelOf = (kernel: Kernel.IKernelConnection): NotebookPanel | null => {
      let found: NotebookPanel | null = null;
      tracker.forEach(panel => {
        if (panel.sessionContext.session?.kernel === kernel) {
          found = panel;
        }
      });
      return found;
    };

    // The kernel's messages: the cell ones act on its notebook, the rest update the model.
    const received = (kernel: Kernel.IKernelConnection, message: KernelMessage): void => {
      const panel = panelOf(kernel);
      if (message.type === 'insert_cells') {
        if (panel) {
          insertCells(panel, message.parent, message.cells);
        }
      } else if (message.type === 'remove_cells') {
        if (panel) {
          void removeCells(panel, message.run, message.cells).then(line => model.removed(kernel, line));
        }
      } else if (message.type === 'suggestion') {
        suggestions.received(message);
      } else if (message.type === 'replace_cell') {
        if (panel) {
          model.noticed(kernel, replaceCell(panel, message));
        }
      } else {
        model.received(kernel, message);
      }
    };

    // Suggestions as the user types, from the notebook's kernel (where oci_magic is loaded).
    const suggestions = new OciInlineProvider({
      send: (widget, message) => {
        const kernel = widget instanceof NotebookPanel ? widget.sessionContext.session?.kernel : null;
        if (!kernel || !model.isConnected(kernel)) {
          return false;
        }
        model.ask(kernel, message);
        return true;
      },
      cellsAbove: widget => {
        if (!(widget instanceof NotebookPanel)) {
          return [];
        }
        const notebook = widget.content;
        return notebook.widgets
          .slice(0, notebook.activeCellIndex)
          .filter(cell => cell.model.type === 'code')
          .map(cell => cell.model.sharedModel.getSource())
          .reverse();
      }
    });
    completion?.registerInlineProvider(suggestions);

    const registerTarget = (kernel: Kernel.IKernelConnection | null | undefined): void => {
      if (!kernel || model.has(kernel)) {
        return;
      }
      model.link(kernel);
      kernel.registerCommTarget(COMM_TARGET, (comm: Kernel.IComm, openMsg: KM.ICommOpenMsg) => {
        comm.onMsg = (msg: KM.ICommMsgMsg) => received(kernel, msg.content.data as unknown as KernelMessage);
        comm.onClose = () => model.disconnect(kernel);
        const send = (message: object): void => {
          if (!comm.isDisposed) {
            comm.send(message as any);
          }
        };
        model.connect(kernel, openMsg.content.data as any, send);
      });
      kernel.statusChanged.connect((_, status) => {
        if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
          model.restarted(kernel);
        }
        refresh();
      });
    };

    const run = (source: string): void => {
      const panel = tracker.currentWidget;
      if (panel) {
        void addAndRun(panel, source);
      }
    };
    const ask = (message: Parameters<typeof model.ask>[1]): void => {
      const kernel = activeKernel();
      if (kernel) {
        model.ask(kernel, message);
      }
    };
    const sidebar = new OciSidebar({
      ask: (request, plan) => run(ociCellSource(request, plan)),
      plan: action => run(planCellSource(action)),
      fix: () => void app.commands.execute(CommandIDs.fixCell),
      stop: () => void activeKernel()?.interrupt(),
      reset: () => ask({ type: 'reset' }),
      undo: (number: number) => ask({ type: 'undo', run: number }),
      keep: (number: number) => ask({ type: 'keep', run: number }),
      load: () => {
        activeKernel()?.requestExecute({ code: '%load_ext oci_magic', silent: false, store_history: false });
      }
    });
    sidebar.title.icon = ociIcon;
    app.shell.add(sidebar, 'left', { rank: 650 });

    const refresh = (): void => {
      const panel = tracker.currentWidget;
      const kernel = activeKernel();
      sidebar.show_state(model.state(panel ? panel.context.path : null, kernel, kernel?.status ?? 'unknown'));
    };
    model.changed.connect(refresh);

    tracker.widgetAdded.connect((_, panel) => {
      const session = panel.sessionContext;
      void session.ready.then(() => {
        registerTarget(session.session?.kernel);
        refresh();
      });
      session.kernelChanged.connect((_, change) => {
        registerTarget(change.newValue);
        refresh();
      });
      session.statusChanged.connect(() => refresh());
    });
    tracker.currentChanged.connect(() => refresh());

    app.commands.addCommand(CommandIDs.fixCell, {
      label: 'Fix This Error with oci',
      caption: 'Ask the model to repair the selected cell from its code and traceback (%oci fix)',
      isEnabled: () => tracker.currentWidget !== null,
      execute: async () => {
        const panel = tracker.currentWidget;
        const cell = panel?.content.activeCell;
        if (!panel || !cell) {
          return;
        }
        const count = cell instanceof CodeCell ? cell.model.executionCount : null;
        await addAndRun(panel, fixCellSource(count ?? null));
      }
    });
    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'Open the oci Sidebar',
      execute: () => app.shell.activateById(sidebar.id)
    });
    palette?.addItem({ command: CommandIDs.fixCell, category: 'oci-magic' });
    palette?.addItem({ command: CommandIDs.openSidebar, category: 'oci-magic' });
    app.contextMenu.addItem({ command: CommandIDs.fixCell, selector: '.jp-CodeCell', rank: 20 });
    app.commands.addKeyBinding({ command: CommandIDs.fixCell, keys: ['Accel Alt F'], selector: '.jp-Notebook' });

    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(settings => {
        const apply = (): void => {
          model.userSettings = settings.user as Record<string, unknown>;
        };
        apply();
        settings.changed.connect(apply);
      });
    }
    refresh();
  }
};

export default plugin;
