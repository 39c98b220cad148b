/**
 * Where inserted cells go, kept free of JupyterLab objects so that it is unit-tested on plain data.
 */

import { ICellMark, ICellToRemove } from './tokens';

/** What the placement needs to know of a notebook cell. */
export interface ICellView {
  /** The id of the execute request the cell is running, if it is running. */
  runningMsgId: string | null;
  mark: ICellMark | null;
}

/** The index after which the cells of `run` go: after the last cell already inserted for that run, else
 * (a plan's step) after the last cell of its plan, so that the steps stay in order even when a later cell
 * (`%oci plan continue`) runs them, else after the cell running `parent` (the `%%oci` cell), else after
 * `fallback`. */
export function insertionIndex(
  cells: ICellView[],
  run: number,
  parent: string | null,
  fallback: number,
  plan: number | null = null
): number {
  let anchor = -1;
  cells.forEach((cell, index) => {
    if (parent !== null && cell.runningMsgId === parent) {
      anchor = index;
    }
  });
  let last = -1;
  cells.forEach((cell, index) => {
    if (cell.mark && cell.mark.run === run && index > anchor) {
      last = index;
    }
  });
  if (last >= 0) {
    return last;
  }
  if (plan !== null) {
    cells.forEach((cell, index) => {
      if (cell.mark && cell.mark.plan === plan) {
        last = index;
      }
    });
    if (last >= 0) {
      return last;
    }
  }
  return anchor >= 0 ? anchor : fallback;
}

/** Whether a cell of this run and round is already in the notebook (never insert one twice). */
export function alreadyInserted(cells: ICellView[], mark: ICellMark): boolean {
  return cells.some(cell => cell.mark !== null && cell.mark.run === mark.run && cell.mark.round === mark.round);
}

/** The source of the cell the prompt box adds (with the Plan switch on: `%%oci --plan`). */
export function ociCellSource(request: string, plan = false): string {
  return `${plan ? '%%oci --plan' : '%%oci'}\n${request.trim()}`;
}

/** The source of the cell that a plan's Continue or Retry button adds. */
export function planCellSource(action: 'continue' | 'retry'): string {
  return `%oci plan ${action}`;
}

/** The source of the cell that "Fix this error" adds for a cell with this execution count. */
export function fixCellSource(executionCount: number | null): string {
  return executionCount === null ? '%oci fix' : `%oci fix ${executionCount}`;
}

/** The cells an undo of `run` removes: by index, those that still hold the source the kernel sent
 * (`unchanged`), and those the user edited since (`edited`: removed only if the user says so). A cell of
 * the run whose round was not sent is left alone. */
export function cellsToRemove(
  sources: string[],
  marks: (ICellMark | null)[],
  run: number,
  wanted: ICellToRemove[]
): { unchanged: number[]; edited: number[] } {
  const unchanged: number[] = [];
  const edited: number[] = [];
  marks.forEach((mark, index) => {
    if (mark === null || mark.run !== run) {
      return;
    }
    const sent = wanted.find(cell => cell.round === mark.round);
    if (sent === undefined) {
      return;
    }
    (sources[index] === sent.source ? unchanged : edited).push(index);
  });
  return { unchanged, edited };
}

/** The index of the cell a candidate chosen instead replaces: the run's cell of `round` while it still
 * holds the source the kernel sent; null when it is gone or the user edited it (their text is kept). */
export function cellToReplace(
  sources: string[],
  marks: (ICellMark | null)[],
  run: number,
  round: number,
  source: string
): number | null {
  const index = marks.findIndex(
    (mark, i) => mark !== null && mark.run === run && mark.round === round && sources[i] === source
  );
  return index < 0 ? null : index;
}
