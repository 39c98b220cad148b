/**
 * What the kernel's messages do to the notebook: its cells inserted live below the `%%oci` cell, removed by
 * undo, replaced by a chosen candidate; and a cell added and run for the sidebar's buttons.
 */

import { Dialog, showDialog } from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

import { alreadyInserted, cellToReplace, cellsToRemove, ICellView, insertionIndex } from './cells';
import { ICellMark, ICellToRemove, INewCell, KernelMessage } from './tokens';

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

export function insertCells(panel: NotebookPanel, parent: string | null, cells: INewCell[]): void {
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
export async function removeCells(panel: NotebookPanel, run: number, wanted: ICellToRemove[]): Promise<string> {
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
export function replaceCell(panel: NotebookPanel, message: Extract<KernelMessage, { type: 'replace_cell' }>): string {
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

/** Add a cell below the active one with `source` and run it, so the notebook records what was asked. */
export async function addAndRun(panel: NotebookPanel, source: string): Promise<void> {
  const notebook = panel.content;
  NotebookActions.insertBelow(notebook);
  notebook.activeCell?.model.sharedModel.setSource(source);
  await NotebookActions.run(notebook, panel.sessionContext);
}
