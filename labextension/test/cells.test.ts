import { alreadyInserted, fixCellSource, ICellView, insertionIndex, ociCellSource } from '../src/cells';

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
});
