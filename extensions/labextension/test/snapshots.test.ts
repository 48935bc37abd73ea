import type { Live, Run, Snapshot, SnapshotDiff, SnapshotSummary } from '../src/api/types';
import {
  canSave,
  changeRows,
  countsText,
  diffPair,
  isLiveRunning,
  isSnapshot,
  liveText,
  liveValues,
  parameterChanges,
  pointText,
  respawnStep,
  sameContent,
  shortHash,
  sizesText,
  snapshotTitle
} from '../src/domain/snapshots';

function summary(fields: Partial<SnapshotSummary> = {}): SnapshotSummary {
  return {
    id: 's1',
    dt: 'tank',
    scope: 'private',
    run: 'r1',
    step: 'execute',
    label: '',
    created: '2025-01-01T10:00:00Z',
    live: false,
    tick: null,
    files_count: 0,
    variables_count: 0,
    skipped_count: 0,
    bytes_total: 0,
    bytes_written: 0,
    ...fields
  };
}

function live(fields: Partial<Live> = {}): Live {
  return { tick: 0, values: {}, updated: '2025-01-01T10:00:00Z', ...fields };
}

describe('snapshot summaries', () => {
  it('names a snapshot by its label, else its id', () => {
    expect(snapshotTitle({ id: 's1', label: 'before the storm' })).toBe('before the storm');
    expect(snapshotTitle({ id: 's1', label: '  ' })).toBe('s1');
    expect(snapshotTitle({ id: 's1' })).toBe('s1');
  });

  it('counts files, variables and what was skipped', () => {
    expect(countsText(summary({ files_count: 3, variables_count: 1 }))).toBe('3 files, 1 variable');
    expect(countsText(summary({ files_count: 1, variables_count: 0, skipped_count: 2 }))).toBe(
      '1 file, 0 variables, 2 skipped'
    );
  });

  it('tells what it holds and what this save wrote anew', () => {
    expect(sizesText(summary({ bytes_total: 12_000, bytes_written: 3_000 }))).toBe(
      '12 kB, 3.0 kB new'
    );
    expect(sizesText(summary({ bytes_total: 500, bytes_written: 0 }))).toBe('500 B, nothing new');
  });

  it('says the step, and the tick of a live snapshot', () => {
    expect(pointText(summary({ live: true, tick: 12 }))).toBe('execute, tick 12');
    expect(pointText(summary({ live: false, tick: 12 }))).toBe('execute');
    expect(pointText(summary({ step: null }))).toBe('–');
  });

  it('shortens hashes', () => {
    expect(shortHash('0123456789abcdef0123')).toBe('0123456789ab');
    expect(shortHash(undefined)).toBe('');
  });
});

describe('save answers', () => {
  it('tells a snapshot (201) from a run to be saved at its step end (202)', () => {
    const snapshot = {
      ...summary(),
      parameters: {},
      dt_hash: 'h',
      environment: {},
      files: [],
      variables: [],
      skipped: []
    } as Snapshot;
    const run = { id: 'r1', dt: 'tank', steps: ['execute'], status: 'running' } as unknown as Run;
    expect(isSnapshot(snapshot)).toBe(true);
    expect(isSnapshot(run)).toBe(false);
  });

  it('offers Save once a run started', () => {
    expect(canSave({ status: 'queued' })).toBe(false);
    expect(canSave({ status: 'running' })).toBe(true);
    expect(canSave({ status: 'succeeded' })).toBe(true);
    expect(canSave({ status: 'cancelled' })).toBe(true);
  });
});

describe('snapshot diffs', () => {
  const diff: SnapshotDiff = {
    a: 's1',
    b: 's2',
    files: { added: ['state/b.json'], removed: [], changed: ['outputs/records/x.csv'] },
    variables: { added: [], removed: ['old'], changed: ['kf'] },
    parameters: { gain: [1, 2.5], mode: ['a', 'b'] }
  };

  it('lists the changes by name', () => {
    expect(changeRows(diff.files)).toEqual([
      { name: 'outputs/records/x.csv', change: 'changed' },
      { name: 'state/b.json', change: 'added' }
    ]);
    expect(changeRows(diff.variables)).toEqual([
      { name: 'kf', change: 'changed' },
      { name: 'old', change: 'removed' }
    ]);
    expect(changeRows(undefined)).toEqual([]);
  });

  it('shows the parameters that differ as text', () => {
    expect(parameterChanges(diff)).toEqual([
      { name: 'gain', a: '1', b: '2.5' },
      { name: 'mode', a: 'a', b: 'b' }
    ]);
    expect(parameterChanges(null)).toEqual([]);
  });

  it('knows when nothing differs', () => {
    expect(sameContent(diff)).toBe(false);
    const none = { added: [], removed: [], changed: [] };
    expect(sameContent({ a: 's1', b: 's2', files: none, variables: none, parameters: {} })).toBe(
      true
    );
  });

  it('diffs the older of two ticked snapshots against the newer', () => {
    const list = [
      summary({ id: 'new', created: '2025-01-02T00:00:00Z' }),
      summary({ id: 'old', created: '2025-01-01T00:00:00Z' })
    ];
    expect(diffPair(['new', 'old'], list)).toEqual(['old', 'new']);
    expect(diffPair(['old', 'new'], list)).toEqual(['old', 'new']);
    expect(diffPair(['x', 'y'], list)).toEqual(['x', 'y']); // not listed: as ticked
    expect(diffPair(['new'], list)).toBeNull();
    expect(diffPair(['new', 'old', 'x'], list)).toBeNull();
  });
});

describe('respawn', () => {
  it("proposes the snapshot's step when the twin has it", () => {
    expect(respawnStep(summary({ step: 'execute' }), ['create', 'execute'])).toBe('execute');
    expect(respawnStep(summary({ step: 'gone' }), ['create', 'execute'])).toBe('execute');
    expect(respawnStep(summary({ step: 'gone' }), ['create'])).toBe('create');
    expect(respawnStep(summary({ step: 'gone' }), [])).toBe('gone');
    expect(respawnStep(null, [])).toBe('');
  });
});

describe('live runs', () => {
  it('lists the latest values by name with their units', () => {
    const state = live({ tick: 4, values: { y: 2, x: 1.5 }, series: ['x'] });
    expect(liveValues(state, { x: 'm' })).toEqual([
      { name: 'x', value: '1.5', unit: 'm', series: true },
      { name: 'y', value: '2', unit: '', series: false }
    ]);
    expect(liveValues(null, {})).toEqual([]);
  });

  it('reads the tick, period and time', () => {
    expect(liveText(live({ tick: 12, period_s: 0.2, t: 12 }))).toBe('tick 12 · every 0.2 s · t = 12');
    expect(liveText(live({ tick: 0 }))).toBe('tick 0');
  });

  it('is running while the run has not ended and the loop has not said it is done', () => {
    expect(isLiveRunning({ status: 'running', live: live({ running: true }) })).toBe(true);
    expect(isLiveRunning({ status: 'running', live: live() })).toBe(true);
    expect(isLiveRunning({ status: 'running', live: live({ running: false }) })).toBe(false);
    expect(isLiveRunning({ status: 'succeeded', live: live({ running: true }) })).toBe(false);
    expect(isLiveRunning({ status: 'running', live: null })).toBe(false);
  });
});
