import type { Run } from '../src/api/types';
import { progressFraction, progressText } from '../src/domain/format';

function running(progress: Run['progress']): Run {
  return { status: 'running', progress } as Run;
}

describe('progressText', () => {
  it('shows the server counts as they come: they are 1-based already', () => {
    const run = running({ step: 'execute', step_index: 1, steps_total: 1, cell: 2, cells_total: 7 });
    expect(progressText(run)).toBe('step execute (1 of 1), cell 2 of 7');
  });

  it('never counts past the total', () => {
    const run = running({ step: 'execute', step_index: 2, steps_total: 2, cell: 9, cells_total: 7 });
    expect(progressText(run)).toBe('step execute (2 of 2), cell 7 of 7');
  });

  it('says a queued run waits', () => {
    expect(progressText({ status: 'queued' } as Run)).toBe('Waiting to start…');
  });
});

describe('progressFraction', () => {
  it('counts the cells done of the steps', () => {
    const run = running({ step: 'b', step_index: 2, steps_total: 2, cell: 3, cells_total: 4 });
    expect(progressFraction(run)).toBeCloseTo(0.75);
  });
});
