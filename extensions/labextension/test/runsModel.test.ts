jest.mock('../src/api/runtime');
jest.mock('../src/models/outputs', () => ({ runOutputs: jest.fn() }));

import * as api from '../src/api/runtime';
import type { Run } from '../src/api/types';
import { RunsModel } from '../src/models/runs';
import { SettingsModel } from '../src/models/settings';

const mocked = api as jest.Mocked<typeof api>;

function run(id: string, status: Run['status'] = 'running'): Run {
  return { id, dt: 'msd', scope: 'private', status, steps: [] } as unknown as Run;
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) {
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  expect(condition()).toBe(true);
}

describe('RunsModel', () => {
  afterEach(() => jest.resetAllMocks());

  it('keeps a run started while an older list was on its way', async () => {
    let answer: (runs: Run[]) => void = () => undefined;
    mocked.fetchRuns.mockImplementationOnce(
      () => new Promise<Run[]>(resolve => (answer = resolve))
    );
    mocked.fetchRuns.mockResolvedValue([run('new'), run('old', 'succeeded')]);
    mocked.fetchRunLog.mockResolvedValue({ text: '', offset: 0, done: false });
    mocked.startRun.mockResolvedValue(run('new'));
    const model = new RunsModel({ dt: 'msd', scope: 'private', settings: new SettingsModel() });

    const view = model.watch(); // the page opens: the list is asked for
    await waitFor(() => mocked.fetchRuns.mock.calls.length === 1);
    await model.start({ dt: 'msd', steps: ['run'] }); // the run answers first
    answer([run('old', 'succeeded')]); // then the list, from before the run
    await waitFor(() => mocked.fetchRunLog.mock.calls.length > 0);

    expect(model.runs.map(r => r.id)).toEqual(['new', 'old']);
    expect(model.selectedId).toBe('new');
    view.dispose();
    model.dispose();
  });
});
