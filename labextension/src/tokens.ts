/**
 * The messages of the `oci_magic` comm, shared by the kernel (oci_magic/jupyter/bridge.py) and this extension.
 */

export const COMM_TARGET = 'oci_magic';

/** A cell the kernel asks to insert, with `oci_magic` metadata (run, round, model, status; plan, step). */
export interface INewCell {
  source: string;
  metadata: { oci_magic: ICellMark; [key: string]: unknown };
  /** 'markdown' for a plan step's title (round 0), else 'code'. */
  cell_type: string;
}

export interface ICellMark {
  run: number;
  round: number;
  model: string;
  status: string;
  /** The plan and step of a run that is a plan's step. */
  plan?: number;
  step?: number;
  /** The candidate the user chose instead of the run's (1-based), once they have. */
  candidate?: number;
}

/** The place of a run in a plan: step `index` of `count`. */
export interface IStepMark {
  plan: number;
  index: number;
  count: number;
  title: string;
  attempt: number;
}

export interface IStepInfo {
  index: number;
  title: string;
  /** 'waiting', 'running', or its last run's status. */
  status: string;
  /** Its mark: ✓ only where its run's answer was verified or agreed on. */
  mark: string;
  runs: number[];
}

/** A plan (`%%oci --plan`): its steps, how it stands, where it stopped. */
export interface IPlanInfo {
  id: number;
  request: string;
  status: string;
  summary: string;
  message: string;
  stopped_at: number | null;
  steps: IStepInfo[];
}

export interface IRoundInfo {
  index: number;
  status: string;
  outcome: string;
  code: string | null;
}

export interface IRunInfo {
  id: number;
  request: string;
  model: string;
  status: string;
  /** ✓ where something verified the answer (the user's check, agreeing candidates), ○ where it ran and
   * nothing did, else the status's mark; '' while it runs. */
  mark: string;
  summary: string;
  max_rounds: number;
  rounds: IRoundInfo[];
  /** 'open' (Undo and Keep are offered), 'undone', 'kept', or '' (undo was off). */
  undo: string;
  /** Its place in a plan, or null for a run of its own. */
  step: IStepMark | null;
}

/** A cell an undo removes: the run's cell of this round, if it still holds this source. */
export interface ICellToRemove {
  round: number;
  source: string;
}

export interface IModelInfo {
  name: string | null;
  loaded: boolean;
  backend?: string;
  size?: string;
  file?: string;
  /** Why this model: the setting that named it, or why the default fell on it. */
  why?: string;
  error?: string;
  [key: string]: unknown;
}

/** Kernel to frontend. */
export type KernelMessage =
  /** The comm opens: the kernel's oci-magic version, and the kernel's name of each setting the settings
   * editor holds (JupyterLab's name: the kernel's). */
  | { type: 'open'; version: string; settings: Record<string, string> }
  | {
      type: 'state';
      model: IModelInfo;
      settings: Record<string, unknown>;
      runs: IRunInfo[];
      /** Turns of the conversation a follow-up continues (0 after a reset). */
      conversation_turns: number;
      /** What undo holds in memory, as a line. */
      undo_held: string;
      plans: IPlanInfo[];
      /** Whether suggestions as you type are on in this kernel and what they cost, as a line. */
      suggestions: string;
    }
  | { type: 'run'; event: string; parent: string | null; run: IRunInfo }
  | { type: 'insert_cells'; parent: string | null; cells: INewCell[] }
  | { type: 'remove_cells'; run: number; cells: ICellToRemove[] }
  /** A candidate the user chose instead: the run's cell of `round`, if it still holds `source`, gets `code`. */
  | { type: 'replace_cell'; run: number; round: number; source: string; code: string; metadata: INewCell['metadata'] }
  | { type: 'error'; message: string }
  | { type: 'notice'; message: string }
  /** A suggestion for the cursor of the `complete` request `id`, as it grows; `done` at its end; `error` says
   * why there is none (the model is loading, suggestions are off). */
  | { type: 'suggestion'; id: string; text: string; done: boolean; error: string };

/** Frontend to kernel. */
export type FrontendMessage =
  | { type: 'hello' }
  | { type: 'state' }
  | { type: 'reset' }
  | { type: 'settings'; [name: string]: unknown }
  | { type: 'undo'; run: number }
  | { type: 'keep'; run: number }
  /** A suggestion for the cursor: the cell's text before and after it, the code cells above, nearest first. */
  | { type: 'complete'; id: string; before: string; after: string; above: string[]; max_tokens: number };
