import type { Grant, PublishRequest } from '../src/api/types';

jest.mock('../src/api/sharing');
jest.mock('../src/api/runtime', () => ({ respawnSnapshot: jest.fn() }));
jest.mock('../src/api/client', () => {
  class ApiError extends Error {
    constructor(
      message: string,
      readonly status: number,
      readonly body: Record<string, unknown> = {}
    ) {
      super(message);
    }
    get field(): string {
      return typeof this.body.field === 'string' ? this.body.field : '';
    }
  }
  return {
    ApiError,
    errorText: (reason: unknown) => (reason instanceof Error ? reason.message : String(reason))
  };
});

import * as api from '../src/api/sharing';
import * as runtime from '../src/api/runtime';
import { ApiError } from '../src/api/client';
import { CurationModel } from '../src/models/curation';
import { SharedResultsModel, ResultSharesModel } from '../src/models/results';
import { SharingModel } from '../src/models/sharing';
import { SettingsModel } from '../src/models/settings';

const mocked = api as jest.Mocked<typeof api>;

const KEY = { scope: 'private', type: 'digital_twins' as const, name: 'msd' };

function grant(fields: Partial<Grant>): Grant {
  return {
    id: 1,
    asset: 'user:alice/digital_twins/msd',
    user: null,
    group: null,
    organisation: false,
    role: 'view',
    created_by: 'alice',
    created: '',
    modified: '',
    ...fields
  };
}

function request(fields: Partial<PublishRequest>): PublishRequest {
  return {
    id: 1,
    asset: 'mine/digital_twins/msd',
    target: 'common/digital_twins/msd',
    requester: 'alice',
    version: '1.0',
    note: '',
    status: 'pending',
    reason: '',
    created: '2026-01-01T10:00:00Z',
    decided: null,
    decided_by: null,
    ...fields
  };
}

function sharing(role: 'owner' | 'run' = 'owner'): SharingModel {
  return new SharingModel({
    key: KEY,
    settings: new SettingsModel(),
    user: { name: 'alice', whoami: () => Promise.resolve('alice') },
    role: () => role
  });
}

beforeEach(() => jest.resetAllMocks());

describe('SharingModel', () => {
  it('lists, adds, re-roles and revokes grants in order', async () => {
    mocked.fetchGrants.mockResolvedValue([grant({ id: 2, group: 'lab' })]);
    mocked.fetchMyRequests.mockResolvedValue([]);
    const model = sharing();
    let changes = 0;
    model.changed.connect(() => changes++);
    await model.load();
    expect(model.grants.map(g => g.id)).toEqual([2]);

    mocked.addGrant.mockResolvedValue(grant({ id: 3, user: 'bob', role: 'run' }));
    await model.grant('user', ' bob ', 'run');
    expect(mocked.addGrant).toHaveBeenCalledWith(KEY, { user: 'bob', role: 'run' });
    expect(model.grants.map(g => g.id)).toEqual([3, 2]);

    // a second grant to the same subject changes its role: one row still
    mocked.changeGrant.mockResolvedValue(grant({ id: 3, user: 'bob', role: 'edit' }));
    await model.changeRole(3, 'edit');
    expect(model.grants.find(g => g.id === 3)?.role).toBe('edit');
    expect(model.grants).toHaveLength(2);

    mocked.revokeGrant.mockResolvedValue(undefined);
    await model.revoke(2);
    expect(model.grants.map(g => g.id)).toEqual([3]);
    expect(changes).toBeGreaterThanOrEqual(4);
    model.dispose();
  });

  it('passes the server refusal of a grant on, with its field', async () => {
    mocked.addGrant.mockRejectedValue(
      new ApiError('no user named nobody', 404, { field: 'user' })
    );
    const model = sharing();
    await expect(model.grant('user', 'nobody', 'run')).rejects.toMatchObject({
      status: 404,
      field: 'user'
    });
    await expect(model.grant('user', '', 'run')).rejects.toThrow('Name the user');
    expect(model.grants).toEqual([]);
    model.dispose();
  });

  it('loads no grants for someone who does not own the asset', async () => {
    const model = sharing('run');
    await model.load();
    expect(mocked.fetchGrants).not.toHaveBeenCalled();
    expect(mocked.fetchMyRequests).not.toHaveBeenCalled();
    model.dispose();
  });

  it("keeps this asset's publish requests and adds a new one first", async () => {
    mocked.fetchGrants.mockResolvedValue([]);
    mocked.fetchMyRequests.mockResolvedValue([
      request({ id: 1, status: 'rejected', reason: 'no README' }),
      request({ id: 9, asset: 'mine/digital_twins/other' })
    ]);
    const model = sharing();
    await model.load();
    expect(model.requests.map(r => r.id)).toEqual([1]);

    mocked.requestPublish.mockResolvedValue(request({ id: 2, version: '1.1' }));
    await model.publish(' 1.1 ', 'better damping');
    expect(mocked.requestPublish).toHaveBeenCalledWith({
      asset: 'mine/digital_twins/msd',
      version: '1.1',
      note: 'better damping'
    });
    expect(model.requests.map(r => r.id)).toEqual([2, 1]);
    model.dispose();
  });

  it('forks with a name and, for an earlier version, the version', async () => {
    mocked.forkAsset.mockResolvedValue({} as never);
    const model = sharing('run');
    await model.fork(' copy ', '1.0');
    expect(mocked.forkAsset).toHaveBeenCalledWith(KEY, { name: 'copy', version: '1.0' });
    await model.fork('');
    expect(mocked.forkAsset).toHaveBeenLastCalledWith(KEY, {});
    model.dispose();
  });

  it('says what went wrong listing', async () => {
    mocked.fetchGrants.mockRejectedValue(new Error('403 Forbidden'));
    mocked.fetchMyRequests.mockResolvedValue([]);
    const model = sharing();
    await model.load();
    expect(model.grantsError).toBe('Cannot list who has access: 403 Forbidden');
    expect(model.grantsLoaded).toBe(true);
    model.dispose();
  });
});

describe('CurationModel', () => {
  it('lists the oldest first, loads details, and drops a decided request', async () => {
    mocked.fetchQueue.mockResolvedValue([
      request({ id: 2, created: '2026-01-02T00:00:00Z' }),
      request({ id: 1, created: '2026-01-01T00:00:00Z' })
    ]);
    mocked.fetchRequest.mockImplementation(id =>
      Promise.resolve(request({ id, diff: [{ path: 'dt.yaml', status: 'changed', diff: '' }] }))
    );
    const model = new CurationModel(new SettingsModel());
    await model.refresh();
    expect(model.queue.map(r => r.id)).toEqual([1, 2]);
    expect(model.detail(1)?.diff).toHaveLength(1);

    mocked.approveRequest.mockResolvedValue(request({ id: 1, status: 'approved' }));
    await model.approve(1);
    expect(model.queue.map(r => r.id)).toEqual([2]);
    expect(model.decided.map(r => [r.id, r.status])).toEqual([[1, 'approved']]);

    await expect(model.reject(2, '  ')).rejects.toThrow('Say why');
    expect(mocked.rejectRequest).not.toHaveBeenCalled();
    mocked.rejectRequest.mockResolvedValue(request({ id: 2, status: 'rejected', reason: 'no' }));
    await model.reject(2, ' no ');
    expect(mocked.rejectRequest).toHaveBeenCalledWith(2, 'no');
    expect(model.queue).toEqual([]);
    model.dispose();
  });

  it('shows a refusal of the queue (not a curator)', async () => {
    mocked.fetchQueue.mockRejectedValue(new Error('curators only'));
    const model = new CurationModel(new SettingsModel());
    await model.refresh();
    expect(model.error).toBe('Cannot list the requests: curators only');
    model.dispose();
  });
});

describe('results', () => {
  it('shares a run with a user and stops sharing it', async () => {
    mocked.fetchResultGrants.mockResolvedValue([]);
    mocked.addResultGrant.mockResolvedValue({
      id: 5,
      result: 'runs/alice/msd/r1',
      user: 'bob',
      group: null,
      role: 'view',
      created_by: 'alice',
      created: ''
    });
    const model = new ResultSharesModel('runs', 'msd', 'r1');
    await model.load();
    await model.share('user', ' bob ');
    expect(mocked.addResultGrant).toHaveBeenCalledWith('runs', 'msd', 'r1', { user: 'bob' });
    expect(model.grants.map(g => g.id)).toEqual([5]);
    mocked.revokeResultGrant.mockResolvedValue(undefined);
    await model.revoke(5);
    expect(model.grants).toEqual([]);
  });

  it('imports a shared snapshot before respawning it', async () => {
    const result = {
      kind: 'snapshots' as const,
      owner: 'alice',
      dt: 'msd',
      id: 's1',
      title: 'warm',
      created: '',
      url: ''
    };
    mocked.importSnapshot.mockResolvedValue({ id: 's9' } as never);
    (runtime.respawnSnapshot as jest.Mock).mockResolvedValue({ id: 'r2', dt: 'msd' });
    const model = new SharedResultsModel();
    const run = await model.respawnHere(result);
    expect(mocked.importSnapshot).toHaveBeenCalledWith('alice', 'msd', 's1');
    expect(runtime.respawnSnapshot).toHaveBeenCalledWith('s9', {});
    expect(run.id).toBe('r2');
    expect(model.busy(result)).toBe(false);
  });
});
