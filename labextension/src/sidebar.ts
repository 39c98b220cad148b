/**
 * The sidebar: the active notebook's model, its runs and their rounds, a prompt box and the buttons.
 */

import { Widget } from '@lumino/widgets';

import { IModelInfo, IRunInfo } from './tokens';

/** What the sidebar shows for the active notebook. */
export interface ISidebarState {
  notebook: string | null;
  kernelStatus: string;
  connected: boolean;
  model: IModelInfo | null;
  runs: IRunInfo[];
  running: boolean;
  note: string;
  /** What the last undo or keep did. */
  notice: string;
  /** What undo holds in memory, as a line. */
  undoHeld: string;
}

export interface ISidebarActions {
  ask(request: string): void;
  fix(): void;
  stop(): void;
  reset(): void;
  load(): void;
  undo(run: number): void;
  keep(run: number): void;
}

const MARKS: Record<string, string> = {
  passed: '✓',
  failed: '✗',
  timeout: '⏱',
  interrupted: '■',
  no_code: '∅',
  generated: '·',
  declined: '⊘',
  repeated: '↻',
  incomplete: '◐',
  refused: '⊗',
  error: '!',
  running: '…'
};

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text = ''
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}

export class OciSidebar extends Widget {
  constructor(private actions: ISidebarActions) {
    super();
    this.addClass('oci-Sidebar');
    this.id = 'oci-magic-sidebar';
    this.title.caption = 'oci: write, run and repair code';
    this.title.label = 'oci';
    const header = element('div', 'oci-Sidebar-header', 'oci-magic');
    this.status = element('div', 'oci-Sidebar-status');
    this.modelNode = element('div', 'oci-Sidebar-model');
    this.prompt = element('textarea', 'oci-Sidebar-prompt');
    this.prompt.placeholder = 'What should the code do? Enter to ask, Shift+Enter for a new line';
    this.prompt.rows = 3;
    this.prompt.addEventListener('keydown', event => {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        const request = this.prompt.value.trim();
        if (request) {
          this.actions.ask(request);
          this.prompt.value = '';
        }
      }
    });
    const buttons = element('div', 'oci-Sidebar-buttons');
    this.fixButton = this.button(buttons, 'Fix this error', () => this.actions.fix());
    this.stopButton = this.button(buttons, 'Stop', () => this.actions.stop());
    this.resetButton = this.button(buttons, 'Reset conversation', () => this.actions.reset());
    this.loadButton = this.button(buttons, 'Load oci-magic', () => this.actions.load());
    this.runsNode = element('div', 'oci-Sidebar-runs');
    this.heldNode = element('div', 'oci-Sidebar-held');
    this.noticeNode = element('pre', 'oci-Sidebar-notice');
    const parts = [header, this.status, this.modelNode, this.prompt, buttons, this.heldNode, this.noticeNode];
    for (const node of [...parts, this.runsNode]) {
      this.node.appendChild(node);
    }
  }

  private button(parent: HTMLElement, label: string, onClick: () => void): HTMLButtonElement {
    const node = element('button', 'jp-Button jp-mod-styled jp-mod-reject oci-Sidebar-button', label);
    node.addEventListener('click', onClick);
    parent.appendChild(node);
    return node;
  }

  show_state(state: ISidebarState): void {
    const { notebook, connected, model, runs, running } = state;
    let status: string;
    if (notebook === null) {
      status = 'Open a notebook to use oci.';
    } else if (state.kernelStatus === 'restarting' || state.kernelStatus === 'autorestarting') {
      status = 'The kernel is restarting.';
    } else if (state.kernelStatus === 'dead' || state.kernelStatus === 'unknown') {
      status = 'No kernel.';
    } else if (!connected) {
      status = 'oci-magic is not loaded in this kernel.';
    } else if (running) {
      status = 'Running… (Stop interrupts the kernel)';
    } else if (state.kernelStatus === 'busy') {
      status = 'Kernel busy.';
    } else {
      status = `Ready · ${notebook}`;
    }
    if (state.note) {
      status += ` ${state.note}`;
    }
    this.status.textContent = status;
    this.node.dataset.ociState = notebook === null ? 'no-notebook' : !connected ? 'not-loaded' : running ? 'running' : 'ready';
    this.prompt.disabled = notebook === null;
    this.loadButton.style.display = notebook === null || connected ? 'none' : '';
    this.stopButton.disabled = !(running || state.kernelStatus === 'busy');
    this.fixButton.disabled = notebook === null;
    this.resetButton.disabled = !connected;
    this.modelNode.textContent = '';
    if (model) {
      const name = model.name ?? 'no model';
      const parts = [name, model.size, model.backend, model.loaded ? 'loaded' : 'not loaded'];
      const layers = model['GPU layers'];
      if (typeof layers === 'string') {
        parts.push(layers.startsWith('none') ? 'CPU' : `GPU layers: ${layers}`);
      }
      this.modelNode.textContent = parts.filter(Boolean).join(' · ');
      if (model.why) {
        this.modelNode.appendChild(element('div', 'oci-Sidebar-why', model.why));
      }
      if (model.error) {
        this.modelNode.appendChild(element('div', 'oci-Sidebar-error', model.error));
      }
    }
    this.heldNode.textContent = connected ? state.undoHeld : '';
    this.noticeNode.textContent = state.notice;
    this.noticeNode.style.display = state.notice ? '' : 'none';
    this.runsNode.textContent = '';
    for (const run of [...runs].reverse()) {
      const node = element('details', 'oci-Sidebar-run');
      node.open = run === runs[runs.length - 1];
      node.dataset.ociRun = String(run.id);
      const mark = MARKS[run.status] ?? '✗';
      const undone = run.undo === 'undone' ? ' (undone)' : run.undo === 'kept' ? ' (kept)' : '';
      node.appendChild(element('summary', '', `${mark} ${run.request.split('\n')[0]}${undone}`));
      if (run.summary) {
        node.appendChild(element('div', 'oci-Sidebar-summary', run.summary));
      }
      if (run.undo === 'open' && !running) {
        const undoButtons = element('div', 'oci-Sidebar-buttons');
        this.button(undoButtons, 'Undo', () => this.actions.undo(run.id)).title =
          'Take this run back (and the runs after it): variables as they were, its cells removed';
        this.button(undoButtons, 'Keep', () => this.actions.keep(run.id)).title =
          'Keep this run and those before it: frees what undo holds; they can no longer be undone';
        node.appendChild(undoButtons);
      }
      for (const round of run.rounds) {
        const roundNode = element('div', 'oci-Sidebar-round');
        roundNode.appendChild(
          element('div', 'oci-Sidebar-roundTitle', `Round ${round.index} · ${round.outcome || MARKS[round.status] || ''}`)
        );
        if (round.code) {
          roundNode.appendChild(element('pre', 'oci-Sidebar-code', round.code));
        }
        node.appendChild(roundNode);
      }
      this.runsNode.appendChild(node);
    }
  }

  private status: HTMLDivElement;
  private modelNode: HTMLDivElement;
  private prompt: HTMLTextAreaElement;
  private runsNode: HTMLDivElement;
  private heldNode: HTMLDivElement;
  private noticeNode: HTMLPreElement;
  private fixButton: HTMLButtonElement;
  private stopButton: HTMLButtonElement;
  private resetButton: HTMLButtonElement;
  private loadButton: HTMLButtonElement;
}
