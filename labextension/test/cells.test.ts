import { alreadyInserted, cellsToRemove, cellToReplace, fixCellSource, ICellView, insertionIndex, ociCellSource, planCellSource } from '../src/cells';

const mark = (run: number, round: number) => ({ run, round, model: 'm', status: 'passed' });

describe('insertionIndex', () => {
  const cells: ICellView[] = [
    { runningMsgId: null, mark: null },
    { runningMsgId: 'exec-1', mark: null }, // the %%oci cell
    { runningMsgId: null, mark: null }
  ];

  it('puts the first cell of a run right below the %%oci cell', () => {
    expect(insertionIndex(cells, 7, 'exec-1', 0)).toBe(1);
  });

  it('puts later cells of the run below the last one it inserted', () => {
    const withRound = [...cells.slice(0, 2), { runningMsgId: null, mark: mark(7, 1) }, cells[2]];
    expect(insertionIndex(withRound, 7, 'exec-1', 0)).toBe(2);
  });

  it('ignores cells of the same run above the %%oci cell and falls back to the active cell', () => {
    const above = [{ runningMsgId: null, mark: mark(7, 1) }, ...cells];
    expect(insertionIndex(above, 7, 'exec-1', 0)).toBe(2);
    expect(insertionIndex(cells, 7, 'unknown', 2)).toBe(2);
  });
});

describe('alreadyInserted', () => {
  it('matches run and round', () => {
    const cells: ICellView[] = [{ runningMsgId: null, mark: mark(3, 2) }];
    expect(alreadyInserted(cells, mark(3, 2))).toBe(true);
    expect(alreadyInserted(cells, mark(3, 1))).toBe(false);
    expect(alreadyInserted(cells, mark(4, 2))).toBe(false);
  });
});

describe('cell sources', () => {
  it('writes the %%oci cell of a request and the %oci fix cell', () => {
    expect(ociCellSource('  plot y = x**2\n')).toBe('%%oci\nplot y = x**2');
    expect(fixCellSource(12)).toBe('%oci fix 12');
    expect(fixCellSource(null)).toBe('%oci fix');
  });

  it('writes the cell of a plan (the Plan switch) and of its Continue and Retry buttons', () => {
    expect(ociCellSource('load, clean, plot', true)).toBe('%%oci --plan\nload, clean, plot');
    expect(planCellSource('continue')).toBe('%oci plan continue');
    expect(planCellSource('retry')).toBe('%oci plan retry');
  });
});

describe('insertionIndex for a plan', () => {
  it('puts a new step after the last cell of its plan, even when a later cell runs it', () => {
    const step = (run: number, plan: number) => ({ ...mark(run, 0), plan, step: run });
    const cells: ICellView[] = [
      { runningMsgId: null, mark: null }, // the %%oci --plan cell
      { runningMsgId: null, mark: step(10, 4) }, // step 1's title
      { runningMsgId: null, mark: step(10, 4) }, // step 1's code
      { runningMsgId: null, mark: null }, // the user's own cell
      { runningMsgId: 'exec-9', mark: null } // %oci plan continue, running
    ];
    expect(insertionIndex(cells, 11, 'exec-9', 0, 4)).toBe(2);
    expect(insertionIndex(cells, 11, 'exec-9', 0, 5)).toBe(4); // another plan: below the running cell
    expect(insertionIndex(cells, 11, 'exec-9', 0)).toBe(4); // a run of its own, as before
  });
});

describe('cellsToRemove', () => {
  it('removes the run\'s cells that are as inserted, and sets apart the ones the user edited', () => {
    const sources = ['%%oci\nask', 'x = 1', 'y = 2  # mine now', 'z = 3', 'w = 4'];
    const marks = [null, mark(5, 1), mark(5, 2), mark(6, 1), mark(5, 3)];
    const wanted = [
      { round: 1, source: 'x = 1' },
      { round: 2, source: 'y = 2' }
    ];
    expect(cellsToRemove(sources, marks, 5, wanted)).toEqual({ unchanged: [1], edited: [2] });
  });

  it('leaves everything alone for a run with no cells', () => {
    expect(cellsToRemove(['a'], [null], 5, [{ round: 1, source: 'a' }])).toEqual({ unchanged: [], edited: [] });
  });
});

describe('cellToReplace', () => {
  it('finds the run\'s cell of the round while it holds the source the kernel sent', () => {
    const sources = ['%%oci\nask', 'x = 1', 'x = 1'];
    const marks = [null, mark(6, 1), mark(5, 1)];
    expect(cellToReplace(sources, marks, 5, 1, 'x = 1')).toBe(2);
  });

  it('leaves a cell the user edited, or a run without that cell, alone', () => {
    expect(cellToReplace(['x = 1  # mine'], [mark(5, 1)], 5, 1, 'x = 1')).toBeNull();
    expect(cellToReplace(['x = 1'], [mark(5, 2)], 5, 1, 'x = 1')).toBeNull();
  });
});
