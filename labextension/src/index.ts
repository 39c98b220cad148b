/**
 * oci-magic's JupyterLab extension: the frontend end of the `oci_magic` comm (cells inserted live below the
 * `%%oci` cell), a sidebar for the active notebook, and the "Fix this error" command.
 */

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog } from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelMessage as KM } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';

import {
  alreadyInserted,
  cellToReplace,
  cellsToRemove,
  fixCellSource,
  ICellView,
  insertionIndex,
  ociCellSource,
  planCellSource
} from './cells';
import { ISidebarState, OciSidebar } from './sidebar';
import {
  COMM_TARGET,
  FrontendMessage,
  ICellMark,
  ICellToRemove,
  INewCell,
  IModelInfo,
  IPlanInfo,
  IRunInfo,
  KernelMessage
} from './tokens';

const PLUGIN_ID = 'oci-magic:plugin';
const VERSION = '0.1.0';

const ociIcon = new LabIcon({
  name: 'oci-magic:icon',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path class="jp-icon3" fill="#616161" ' +
    'd="M8 5l-6 7 6 7 1.5-1.3L4.6 12l4.9-5.7zm8 0l-1.5 1.3 4.9 5.7-4.9 5.7L16 19l6-7z"/></svg>'
});

/** What the extension knows of one kernel. */
class KernelLink {
  comm: Kernel.IComm | null = null;
  model: IModelInfo | null = null;
  runs: IRunInfo[] = [];
  plans: IPlanInfo[] = [];
  running = false;
  note = '';
  /** What the last undo or keep did (the kernel's report, then the cells removed). */
  notice = '';
  /** What the extension did with the cells of undone runs, a line per run. */
  removals: string[] = [];
  undoHeld = '';
}

function cellViews(panel: NotebookPanel): ICellView[] {
  return panel.content.widgets.map(cell => {
    let runningMsgId: string | null = null;
    if (cell instanceof CodeCell) {
      const future = cell.outputArea.future;
      runningMsgId = future && !future.isDisposed ? future.msg.header.msg_id : null;
    }
    const mark = (cell.model.getMetadata('oci_magic') as ICellView['mark']) ?? null;
    return { runningMsgId, mark };
  });
}

function insertCells(panel: NotebookPanel, parent: string | null, cells: INewCell[]): void {
  const model = panel.content.model;
  if (!model) {
    return;
  }
  for (const cell of cells) {
    const views = cellViews(panel);
    const mark = cell.metadata.oci_magic;
    if (alreadyInserted(views, mark)) {
      continue;
    }
    const after = insertionIndex(views, mark.run, parent, panel.content.activeCellIndex, mark.plan ?? null);
    model.sharedModel.insertCell(after + 1, {
      cell_type: cell.cell_type === 'markdown' ? 'markdown' : 'code',
      source: cell.source,
      metadata: cell.metadata as any
    });
  }
}

/** Undo's part in the notebook: remove the run's cells as they were inserted; for each one the user has
 * edited since, ask first (keeping it is the default). Returns a line saying what happened. */
async function removeCells(panel: NotebookPanel, run: number, wanted: ICellToRemove[]): Promise<string> {
  const model = panel.content.model;
  if (!model) {
    return '';
  }
  const cells = model.sharedModel.cells;
  const marks = cells.map(cell => (cell.getMetadata('oci_magic') as ICellMark | undefined) ?? null);
  const { unchanged, edited } = cellsToRemove(
    cells.map(cell => cell.getSource()),
    marks,
    run,
    wanted
  );
  const remove = [...unchanged];
  for (const index of edited) {
    const answer = await showDialog({
      title: `Remove a cell you edited?`,
      body: `Undo of run ${run}: its cell of round ${marks[index]?.round} was edited since oci inserted it. Remove it anyway?`,
      buttons: [Dialog.cancelButton({ label: 'Keep it' }), Dialog.warnButton({ label: 'Remove' })]
    });
    if (answer.button.accept) {
      remove.push(index);
    }
  }
  const kept = edited.length - (remove.length - unchanged.length);
  // Highest index first: removing a cell moves the ones below it up.
  const current = model.sharedModel.cells;
  const doomed = remove.map(index => cells[index]);
  for (const cell of doomed) {
    const index = current.indexOf(cell);
    if (index >= 0) {
      model.sharedModel.deleteCell(index);
    }
  }
  const keptText = kept > 0 ? `, kept ${kept} you edited` : '';
  return `Undo of run ${run}: removed ${doomed.length} cell${doomed.length === 1 ? '' : 's'}${keptText}.`;
}

/** A candidate the user chose instead of the run's: its code in the run's cell, unless the user edited that
 * cell since (their text is kept). Returns a line saying what happened. */
function replaceCell(panel: NotebookPanel, message: Extract<KernelMessage, { type: 'replace_cell' }>): string {
  const model = panel.content.model;
  if (!model) {
    return '';
  }
  const cells = model.sharedModel.cells;
  const marks = cells.map(cell => (cell.getMetadata('oci_magic') as ICellMark | undefined) ?? null);
  const sources = cells.map(cell => cell.getSource());
  const index = cellToReplace(sources, marks, message.run, message.round, message.source);
  if (index === null) {
    return `Run ${message.run}: its cell was edited or removed since; the candidate's code is in the widget.`;
  }
  cells[index].setSource(message.code);
  cells[index].setMetadata('oci_magic', message.metadata.oci_magic as any);
  const candidate = message.metadata.oci_magic.candidate;
  return `Run ${message.run}: candidate ${candidate ?? ''} is now in its cell.`;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'oci-magic: a sidebar for the %%oci repair loop, and live cell insertion',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    const links = new Map<Kernel.IKernelConnection, KernelLink>();
    let userSettings: Record<string, unknown> = {};

    const linkOf = (kernel: Kernel.IKernelConnection): KernelLink => {
      let link = links.get(kernel);
      if (!link) {
        link = new KernelLink();
        links.set(kernel, link);
      }
      return link;
    };

    const panelOf = (kernel: Kernel.IKernelConnection): NotebookPanel | null => {
      let found: NotebookPanel | null = null;
      tracker.forEach(panel => {
        if (panel.sessionContext.session?.kernel === kernel) {
          found = panel;
        }
      });
      return found;
    };

    const send = (link: KernelLink, message: FrontendMessage): void => {
      if (link.comm && !link.comm.isDisposed) {
        link.comm.send(message as any);
      }
    };

    const settingsMessage = (): FrontendMessage => {
      const names: Record<string, string> = { model: 'model', maxRounds: 'max_rounds', temperature: 'temperature' };
      const message: FrontendMessage = { type: 'settings' };
      for (const [name, kernelName] of Object.entries(names)) {
        if (userSettings[name] !== undefined) {
          message[kernelName] = userSettings[name];
        }
      }
      return message;
    };

    const received = (kernel: Kernel.IKernelConnection, message: KernelMessage): void => {
      const link = linkOf(kernel);
      if (message.type === 'state') {
        link.model = message.model;
        link.runs = message.runs;
        link.plans = message.plans;
        link.undoHeld = message.undo_held;
      } else if (message.type === 'run') {
        const runs = link.runs.filter(run => run.id !== message.run.id);
        link.runs = [...runs, message.run];
        link.running = message.event !== 'run_finished';
        if (message.event === 'run_started') {
          link.removals = [];
        }
      } else if (message.type === 'insert_cells') {
        const panel = panelOf(kernel);
        if (panel) {
          insertCells(panel, message.parent, message.cells);
        }
      } else if (message.type === 'remove_cells') {
        const panel = panelOf(kernel);
        if (panel) {
          void removeCells(panel, message.run, message.cells).then(text => {
            link.removals.push(text);
            refresh();
          });
        }
      } else if (message.type === 'replace_cell') {
        const panel = panelOf(kernel);
        if (panel) {
          link.notice = replaceCell(panel, message);
        }
      } else if (message.type === 'error') {
        link.note = message.message;
      } else if (message.type === 'notice') {
        link.notice = message.message;
      }
      refresh();
    };

    const registerTarget = (kernel: Kernel.IKernelConnection | null | undefined): void => {
      if (!kernel || links.has(kernel)) {
        return;
      }
      const link = linkOf(kernel);
      kernel.registerCommTarget(COMM_TARGET, (comm: Kernel.IComm, openMsg: KM.ICommOpenMsg) => {
        link.comm = comm;
        comm.onMsg = (msg: KM.ICommMsgMsg) => received(kernel, msg.content.data as unknown as KernelMessage);
        comm.onClose = () => {
          link.comm = null;
          refresh();
        };
        send(link, { type: 'hello', version: VERSION });
        const settings = settingsMessage();
        if (Object.keys(settings).length > 1) {
          send(link, settings);
        }
        refresh();
      });
      kernel.statusChanged.connect((_, status) => {
        if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
          // A restart ends any run and the comm with it: no spinner may stay behind.
          link.running = false;
          link.comm = null;
          link.runs = [];
          link.plans = [];
          link.model = null;
        }
        refresh();
      });
    };

    const sidebar = new OciSidebar({
      ask: (request, plan) => {
        const panel = tracker.currentWidget;
        if (panel) {
          void addAndRun(panel, ociCellSource(request, plan));
        }
      },
      plan: action => {
        const panel = tracker.currentWidget;
        if (panel) {
          void addAndRun(panel, planCellSource(action));
        }
      },
      fix: () => void app.commands.execute('oci-magic:fix-cell'),
      stop: () => void tracker.currentWidget?.sessionContext.session?.kernel?.interrupt(),
      reset: () => {
        const kernel = tracker.currentWidget?.sessionContext.session?.kernel;
        if (kernel) {
          send(linkOf(kernel), { type: 'reset' });
        }
      },
      undo: (run: number) => {
        const kernel = tracker.currentWidget?.sessionContext.session?.kernel;
        if (kernel) {
          linkOf(kernel).removals = [];
          send(linkOf(kernel), { type: 'undo', run });
        }
      },
      keep: (run: number) => {
        const kernel = tracker.currentWidget?.sessionContext.session?.kernel;
        if (kernel) {
          linkOf(kernel).removals = [];
          send(linkOf(kernel), { type: 'keep', run });
        }
      },
      load: () => {
        const kernel = tracker.currentWidget?.sessionContext.session?.kernel;
        kernel?.requestExecute({ code: '%load_ext oci_magic', silent: false, store_history: false });
      }
    });
    sidebar.title.icon = ociIcon;
    app.shell.add(sidebar, 'left', { rank: 650 });

    const refresh = (): void => {
      const panel = tracker.currentWidget;
      const kernel = panel?.sessionContext.session?.kernel ?? null;
      const link = kernel ? linkOf(kernel) : null;
      const state: ISidebarState = {
        notebook: panel ? panel.context.path : null,
        kernelStatus: kernel ? kernel.status : 'unknown',
        connected: !!link?.comm,
        model: link?.model ?? null,
        runs: link?.runs ?? [],
        plans: link?.plans ?? [],
        running: !!link?.running,
        note: link?.note ?? '',
        notice: [link?.notice ?? '', ...(link?.removals ?? [])].filter(Boolean).join('\n'),
        undoHeld: link?.undoHeld ?? ''
      };
      sidebar.show_state(state);
    };

    /** Add a cell below the active one with `source` and run it, so the notebook records what was asked. */
    const addAndRun = async (panel: NotebookPanel, source: string): Promise<void> => {
      const notebook = panel.content;
      NotebookActions.insertBelow(notebook);
      notebook.activeCell?.model.sharedModel.setSource(source);
      await NotebookActions.run(notebook, panel.sessionContext);
    };

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

    app.commands.addCommand('oci-magic:fix-cell', {
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
    app.commands.addCommand('oci-magic:open-sidebar', {
      label: 'Open the oci Sidebar',
      execute: () => app.shell.activateById(sidebar.id)
    });
    palette?.addItem({ command: 'oci-magic:fix-cell', category: 'oci-magic' });
    palette?.addItem({ command: 'oci-magic:open-sidebar', category: 'oci-magic' });
    app.contextMenu.addItem({ command: 'oci-magic:fix-cell', selector: '.jp-CodeCell', rank: 20 });
    app.commands.addKeyBinding({
      command: 'oci-magic:fix-cell',
      keys: ['Accel Alt F'],
      selector: '.jp-Notebook'
    });

    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(settings => {
        const apply = (): void => {
          userSettings = { ...(settings.user as Record<string, unknown>) };
          const message = settingsMessage();
          for (const link of links.values()) {
            send(link, message);
          }
        };
        apply();
        settings.changed.connect(apply);
      });
    }
    refresh();
  }
};

export default plugin;
