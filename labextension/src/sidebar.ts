/**
 * The sidebar: the active notebook's model, its runs and their rounds, a prompt box and the buttons.
 */

import { Widget } from '@lumino/widgets';

import { IModelInfo, IPlanInfo, IRunInfo } from './tokens';

/** What the sidebar shows for the active notebook. */
export interface ISidebarState {
  notebook: string | null;
  kernelStatus: string;
  connected: boolean;
  model: IModelInfo | null;
  runs: IRunInfo[];
  plans: IPlanInfo[];
  running: boolean;
  note: string;
  /** What the last undo or keep did. */
  notice: string;
  /** What undo holds in memory, as a line. */
  undoHeld: string;
  /** Whether suggestions as you type are on, and what they cost, as a line. */
  suggestions: string;
}

export interface ISidebarActions {
  /** `plan`: the Plan switch is on (`%%oci --plan`). */
  ask(request: string, plan: boolean): void;
  /** A plan's Continue or Retry button: `%oci plan continue|retry` in a new cell. */
  plan(action: 'continue' | 'retry'): void;
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
  running: '…',
  waiting: '·'
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
          this.actions.ask(request, this.planSwitch.checked);
          this.prompt.value = '';
        }
      }
    });
    const planLabel = element('label', 'oci-Sidebar-planSwitch');
    this.planSwitch = element('input', 'oci-Sidebar-planInput');
    this.planSwitch.type = 'checkbox';
    planLabel.title = 'Plan first: the model writes numbered steps; each step runs, is repaired and lands as its own cells';
    planLabel.appendChild(this.planSwitch);
    planLabel.appendChild(document.createTextNode(' Plan (a cell per step)'));
    const buttons = element('div', 'oci-Sidebar-buttons');
    this.fixButton = this.button(buttons, 'Fix this error', () => this.actions.fix());
    this.stopButton = this.button(buttons, 'Stop', () => this.actions.stop());
    this.resetButton = this.button(buttons, 'Reset conversation', () => this.actions.reset());
    this.loadButton = this.button(buttons, 'Load oci-magic', () => this.actions.load());
    this.runsNode = element('div', 'oci-Sidebar-runs');
    this.planNode = element('div', 'oci-Sidebar-plan');
    this.heldNode = element('div', 'oci-Sidebar-held');
    this.suggestionsNode = element('div', 'oci-Sidebar-held oci-Sidebar-suggestions');
    this.noticeNode = element('pre', 'oci-Sidebar-notice');
    const parts = [
      header,
      this.status,
      this.modelNode,
      this.prompt,
      planLabel,
      buttons,
      this.heldNode,
      this.suggestionsNode,
      this.noticeNode,
      this.planNode
    ];
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
    this.suggestionsNode.textContent = connected ? state.suggestions : '';
    this.noticeNode.textContent = state.notice;
    this.noticeNode.style.display = state.notice ? '' : 'none';
    this.showPlan(state.plans[state.plans.length - 1], running);
    this.runsNode.textContent = '';
    for (const run of [...runs].reverse()) {
      const node = element('details', 'oci-Sidebar-run');
      node.open = run === runs[runs.length - 1];
      node.dataset.ociRun = String(run.id);
      const mark = run.mark || (MARKS[run.status] ?? '✗');
      const undone = run.undo === 'undone' ? ' (undone)' : run.undo === 'kept' ? ' (kept)' : '';
      const place = run.step ? `Step ${run.step.index}/${run.step.count} · ` : '';
      node.appendChild(element('summary', '', `${mark} ${place}${run.request.split('\n')[0]}${undone}`));
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

  /** The last plan: its steps with their marks, how it stands, and Continue / Retry where it stopped. */
  private showPlan(plan: IPlanInfo | undefined, running: boolean): void {
    this.planNode.textContent = '';
    this.planNode.style.display = plan ? '' : 'none';
    if (!plan) {
      return;
    }
    this.planNode.dataset.ociPlan = String(plan.id);
    this.planNode.dataset.ociPlanStatus = plan.status;
    this.planNode.appendChild(element('div', 'oci-Sidebar-planTitle', `Plan ${plan.id} · ${plan.request.split('\n')[0]}`));
    for (const step of plan.steps) {
      const node = element('div', 'oci-Sidebar-step', `${step.mark || (MARKS[step.status] ?? '✗')} ${step.index}. ${step.title}`);
      node.dataset.ociStep = String(step.index);
      node.dataset.ociStepStatus = step.status;
      this.planNode.appendChild(node);
    }
    this.planNode.appendChild(element('div', 'oci-Sidebar-summary', plan.summary));
    if (plan.message) {
      this.planNode.appendChild(element('div', 'oci-Sidebar-why', plan.message));
    }
    if (plan.stopped_at !== null && plan.status !== 'running' && !running) {
      const planButtons = element('div', 'oci-Sidebar-buttons');
      this.button(planButtons, 'Continue', () => this.actions.plan('continue')).title =
        `Run step ${plan.stopped_at} again (its code as it was first, then repaired), then the steps after it`;
      this.button(planButtons, 'Retry step', () => this.actions.plan('retry')).title =
        `Ask the model for step ${plan.stopped_at} afresh, then run the steps after it`;
      this.planNode.appendChild(planButtons);
    }
  }

  private planSwitch: HTMLInputElement;
  private planNode: HTMLDivElement;
  private status: HTMLDivElement;
  private modelNode: HTMLDivElement;
  private prompt: HTMLTextAreaElement;
  private runsNode: HTMLDivElement;
  private heldNode: HTMLDivElement;
  private suggestionsNode: HTMLDivElement;
  private noticeNode: HTMLPreElement;
  private fixButton: HTMLButtonElement;
  private stopButton: HTMLButtonElement;
  private resetButton: HTMLButtonElement;
  private loadButton: HTMLButtonElement;
}
