import type { Grant, PublishRequest } from '../src/api/types';
import { scopeLabel, parseRef, assetRef } from '../src/domain/assets';
import {
  canManage,
  canPublish,
  diffLines,
  errorField,
  grantBody,
  hasRole,
  hubRoot,
  isCurator,
  nextVersion,
  ownerOf,
  problemsOf,
  requestsFor,
  resultPath,
  roleOf,
  sharedWithText,
  sortGrants,
  statusText,
  subjectOf,
  subjectText,
  VERSION
} from '../src/domain/sharing';

function grant(fields: Partial<Grant> = {}): Grant {
  return {
    id: 1,
    asset: 'user:alice/digital_twins/msd',
    user: null,
    group: null,
    organisation: false,
    role: 'view',
    created_by: 'alice',
    created: '2026-01-01T10:00:00Z',
    modified: '2026-01-01T10:00:00Z',
    ...fields
  };
}

function request(fields: Partial<PublishRequest> = {}): PublishRequest {
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

describe('roles', () => {
  it('orders view < run < fork < edit < owner', () => {
    expect(hasRole('run', 'view')).toBe(true);
    expect(hasRole('run', 'fork')).toBe(false);
    expect(hasRole('owner', 'edit')).toBe(true);
    expect(hasRole('edit', 'owner')).toBe(false);
    expect(hasRole(undefined, 'view')).toBe(false);
    expect(hasRole('admin', 'view')).toBe(false);
  });

  it('lets only the owner manage grants, and editors of non-common assets publish', () => {
    expect(canManage('owner')).toBe(true);
    expect(canManage('edit')).toBe(false);
    const mine = { scope: 'private', type: 'digital_twins' as const, name: 'msd' };
    expect(canPublish(mine, 'owner')).toBe(true);
    expect(canPublish({ ...mine, scope: 'user:alice' }, 'edit')).toBe(true);
    expect(canPublish({ ...mine, scope: 'user:alice' }, 'fork')).toBe(false);
    expect(canPublish({ ...mine, scope: 'common' }, 'owner')).toBe(false);
  });

  it('takes the role the detail says, else the one the scope implies', () => {
    expect(roleOf('user:alice', 'run')).toBe('run');
    expect(roleOf('private', undefined)).toBe('owner');
    expect(roleOf('common', null)).toBe('fork');
    expect(roleOf('user:alice', undefined)).toBeUndefined();
    expect(roleOf('user:alice', 'nonsense')).toBeUndefined();
  });

  it('says who shared an asset and as what', () => {
    expect(sharedWithText('run', 'user:alice')).toBe('Shared with you as run by alice');
    expect(sharedWithText('view', 'group:lab')).toBe('Shared with you as view by group lab');
    expect(sharedWithText('fork', 'common')).toContain('fork');
    expect(ownerOf('user:bob')).toBe('bob');
  });
});

describe('scope tokens of shared assets', () => {
  it('keep user:<u> through refs and labels', () => {
    const key = parseRef('user:alice/digital_twins/msd');
    expect(key).toEqual({ scope: 'user:alice', type: 'digital_twins', name: 'msd' });
    expect(assetRef(key!)).toBe('user:alice/digital_twins/msd');
    expect(scopeLabel('user:alice')).toBe('alice');
  });
});

describe('grants', () => {
  it('names their subject', () => {
    expect(subjectOf(grant({ user: 'bob' }))).toEqual({ kind: 'user', name: 'bob' });
    expect(subjectText(grant({ group: 'lab' }))).toBe('group lab');
    expect(subjectText(grant({ organisation: true }))).toBe('everyone');
  });

  it('builds the body of a new grant', () => {
    expect(grantBody('user', ' bob ', 'run')).toEqual({ user: 'bob', role: 'run' });
    expect(grantBody('group', 'lab', 'view')).toEqual({ group: 'lab', role: 'view' });
    expect(grantBody('organisation', '', 'view')).toEqual({ organisation: true, role: 'view' });
    expect(grantBody('user', '  ', 'run')).toBeNull();
  });

  it('lists users, then groups, then everyone, by name', () => {
    const sorted = sortGrants([
      grant({ id: 1, organisation: true }),
      grant({ id: 2, group: 'lab' }),
      grant({ id: 3, user: 'zoe' }),
      grant({ id: 4, user: 'bob' })
    ]);
    expect(sorted.map(g => g.id)).toEqual([4, 3, 2, 1]);
  });
});

describe('errors next to their field', () => {
  it('places a named field the form has, else the fallback', () => {
    const fields = ['name', 'role', 'form'] as const;
    expect(errorField('role', fields, 'form')).toBe('role');
    expect(errorField('asset', fields, 'form')).toBe('form');
    expect(errorField('', fields, 'form')).toBe('form');
  });

  it('reads the problems of a 400', () => {
    expect(
      problemsOf({
        problems: [{ file: 'dt.yaml', line: 3, field: 'parameters', message: 'bad' }, 'x', null]
      })
    ).toEqual([{ file: 'dt.yaml', line: 3, field: 'parameters', message: 'bad' }]);
    expect(problemsOf({})).toEqual([]);
  });
});

describe('publish requests', () => {
  it('checks and proposes versions', () => {
    expect(VERSION.test('1.0')).toBe(true);
    expect(VERSION.test('1.0.2')).toBe(true);
    expect(VERSION.test('v1')).toBe(false);
    expect(nextVersion('1.0')).toBe('1.1');
    expect(nextVersion('2.3.9')).toBe('2.3.10');
    expect(nextVersion('')).toBe('1.0');
  });

  it("keeps one asset's requests, however its key is spelled, the newest first", () => {
    const key = { scope: 'private', type: 'digital_twins' as const, name: 'msd' };
    const found = requestsFor(
      [
        request({ id: 1, created: '2026-01-01T10:00:00Z' }),
        request({ id: 2, asset: 'user:alice/digital_twins/msd', created: '2026-01-02T10:00:00Z' }),
        request({ id: 3, asset: 'mine/digital_twins/other' }),
        request({ id: 4, asset: 'user:bob/digital_twins/msd' })
      ],
      key,
      'alice'
    );
    expect(found.map(r => r.id)).toEqual([2, 1]);
  });

  it('says how a request was decided', () => {
    expect(statusText(request())).toBe('pending');
    expect(statusText(request({ status: 'approved', decided_by: 'curator' }))).toBe(
      'approved by curator'
    );
    expect(
      statusText(request({ status: 'rejected', decided_by: 'curator', reason: 'no README' }))
    ).toBe('rejected by curator: no README');
  });

  it('classifies the lines of a unified diff', () => {
    const lines = diffLines('--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n same\n');
    expect(lines.map(l => l.kind)).toEqual(['meta', 'meta', 'hunk', 'remove', 'add', 'context']);
    expect(diffLines('')).toEqual([]);
  });

  it('knows a curator by the curate scope', () => {
    expect(isCurator({ scopes: ['custom:library:read', 'custom:library:curate'] })).toBe(true);
    expect(isCurator({ scopes: ['custom:library:read'] })).toBe(false);
    expect(isCurator(null)).toBe(false);
  });
});

describe('result links', () => {
  it('point below the hub root', () => {
    expect(hubRoot('/hub/')).toBe('/');
    expect(hubRoot('/base/hub/')).toBe('/base/');
    expect(hubRoot(undefined)).toBe('/');
    expect(resultPath('/', 'runs', 'alice', 'msd', 'r 1')).toBe(
      '/services/library/results/runs/alice/msd/r%201'
    );
    expect(resultPath('/base', 'snapshots', 'alice', 'msd', 's1')).toBe(
      '/base/services/library/results/snapshots/alice/msd/s1'
    );
  });
});
