import { OciModel } from '../src/model';
import { FrontendMessage, IRunInfo } from '../src/tokens';

const run = (id: number, status = 'running'): IRunInfo => ({
  id,
  request: 'r',
  model: 'm',
  status,
  mark: '',
  summary: '',
  max_rounds: 3,
  rounds: [],
  undo: '',
  step: null
});

const opened = { version: '9.9.9', settings: { maxRounds: 'max_rounds', temperature: 'temperature' } };

function connected(model: OciModel, kernel: object): FrontendMessage[] {
  const sent: FrontendMessage[] = [];
  model.connect(kernel, opened, message => sent.push(message));
  return sent;
}

describe('OciModel', () => {
  it('says hello, then the user settings in the names the kernel sent', () => {
    const model = new OciModel();
    model.userSettings = { maxRounds: 5, model: 'x.gguf' };
    const kernel = {};
    const sent = connected(model, kernel);
    expect(sent).toEqual([{ type: 'hello' }, { type: 'settings', max_rounds: 5 }]);
    expect(model.link(kernel).version).toBe('9.9.9');
    model.userSettings = { temperature: 0.5 };
    expect(sent[2]).toEqual({ type: 'settings', temperature: 0.5 });
  });

  it('emits changed on every update the sidebar shows', () => {
    const model = new OciModel();
    const kernel = {};
    let changes = 0;
    model.changed.connect(() => changes++);
    connected(model, kernel);
    model.received(kernel, { type: 'run', event: 'run_started', parent: null, run: run(1) });
    expect(changes).toBe(2);
    expect(model.state('a.ipynb', kernel, 'busy')).toMatchObject({ connected: true, running: true, runs: [run(1)] });
    model.received(kernel, { type: 'run', event: 'run_finished', parent: null, run: run(1, 'passed') });
    expect(model.state('a.ipynb', kernel, 'idle').runs).toEqual([run(1, 'passed')]);
    expect(model.state('a.ipynb', kernel, 'idle').running).toBe(false);
  });

  it('a restart ends the run and the comm: no spinner stays behind', () => {
    const model = new OciModel();
    const kernel = {};
    connected(model, kernel);
    model.received(kernel, { type: 'run', event: 'round_started', parent: null, run: run(2) });
    model.restarted(kernel);
    expect(model.state('a.ipynb', kernel, 'restarting')).toMatchObject({ connected: false, running: false, runs: [] });
  });

  it('an undo asked from the sidebar starts a fresh report of removed cells', () => {
    const model = new OciModel();
    const kernel = {};
    const sent = connected(model, kernel);
    model.removed(kernel, 'Undo of run 1: removed 1 cell.');
    model.noticed(kernel, 'oci · undid run 1');
    expect(model.state(null, kernel, 'idle').notice).toBe('oci · undid run 1\nUndo of run 1: removed 1 cell.');
    model.ask(kernel, { type: 'undo', run: 2 });
    expect(sent[sent.length - 1]).toEqual({ type: 'undo', run: 2 });
    expect(model.state(null, kernel, 'idle').notice).toBe('oci · undid run 1');
  });

  it('a kernel without oci-magic loaded is not connected, and nothing is sent to it', () => {
    const model = new OciModel();
    const kernel = {};
    model.ask(kernel, { type: 'reset' }); // no comm: dropped, no error
    expect(model.state('a.ipynb', kernel, 'idle')).toMatchObject({ connected: false, model: null });
    expect(model.state(null, null, 'idle').kernelStatus).toBe('unknown');
  });
});
