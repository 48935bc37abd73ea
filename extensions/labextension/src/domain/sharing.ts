/** Roles, grants, publish requests and result links; pure, so the unit tests cover them. */
import type {
  Grant,
  GrantRequest,
  IAssetKey,
  Problem,
  PublishRequest,
  ResultKind,
  Role
} from '../api/types';
import { assetRef } from './assets';

/** The roles a grant gives, the weakest first; each includes the ones before. */
export const GRANT_ROLES = ['view', 'run', 'fork', 'edit'] as const;
export type GrantRole = (typeof GRANT_ROLES)[number];

const RANK: Record<Role, number> = { view: 1, run: 2, fork: 3, edit: 4, owner: 5 };

export const ROLE_HELP: Record<GrantRole, string> = {
  view: 'read its files and README',
  run: 'run it in their own workspace',
  fork: 'copy it into their own library',
  edit: 'change its files'
};

/** Whether `role` includes `wanted`; an unknown or missing role includes nothing. */
export function hasRole(role: string | null | undefined, wanted: Role): boolean {
  const rank = role ? RANK[role as Role] : undefined;
  return rank !== undefined && rank >= RANK[wanted];
}

export type SubjectKind = 'user' | 'group' | 'organisation';

export const SUBJECT_LABELS: Record<SubjectKind, string> = {
  user: 'User',
  group: 'Group',
  organisation: 'Everyone in the organisation'
};

/** Who a grant is for. */
export function subjectOf(grant: Pick<Grant, 'user' | 'group' | 'organisation'>): {
  kind: SubjectKind;
  name: string;
} {
  if (grant.user) {
    return { kind: 'user', name: grant.user };
  }
  if (grant.group) {
    return { kind: 'group', name: grant.group };
  }
  return { kind: 'organisation', name: '' };
}

/** "bob", "group lab", "everyone". */
export function subjectText(grant: Pick<Grant, 'user' | 'group' | 'organisation'>): string {
  const { kind, name } = subjectOf(grant);
  return kind === 'user' ? name : kind === 'group' ? `group ${name}` : 'everyone';
}

/** The body of a new grant; the name is trimmed, and needed except for the organisation. */
export function grantBody(kind: SubjectKind, name: string, role: GrantRole): GrantRequest | null {
  const who = name.trim();
  if (kind === 'organisation') {
    return { organisation: true, role };
  }
  if (!who) {
    return null;
  }
  return kind === 'user' ? { user: who, role } : { group: who, role };
}

/** Grants in the order a list shows them: users, then groups, then everyone; by name. */
export function sortGrants<T extends Pick<Grant, 'user' | 'group' | 'organisation'>>(
  grants: readonly T[]
): T[] {
  const order: Record<SubjectKind, number> = { user: 0, group: 1, organisation: 2 };
  return [...grants].sort((a, b) => {
    const sa = subjectOf(a);
    const sb = subjectOf(b);
    return order[sa.kind] - order[sb.kind] || sa.name.localeCompare(sb.name);
  });
}

/** The owner a scope names: a user, a group, or the common library. */
export function ownerOf(scope: string): string {
  if (scope.startsWith('user:')) {
    return scope.slice('user:'.length);
  }
  if (scope.startsWith('group:')) {
    return `group ${scope.slice('group:'.length)}`;
  }
  return scope === 'common' ? 'the common library' : scope === 'private' ? 'you' : scope;
}

/** What the Sharing tab says to someone who does not own the asset. */
export function sharedWithText(role: string | null | undefined, scope: string): string {
  if (scope === 'common') {
    return `A common asset: you may ${hasRole(role, 'fork') ? 'fork and run' : 'read'} it.`;
  }
  return `Shared with you as ${role || 'view'} by ${ownerOf(scope)}`;
}

/** Whether the user may manage the asset's grants. */
export function canManage(role: string | null | undefined): boolean {
  return role === 'owner';
}

/** Only private and group assets go to the common library; the asker needs at least edit. */
export function canPublish(key: IAssetKey, role: string | null | undefined): boolean {
  return key.scope !== 'common' && hasRole(role, 'edit');
}

/** A version the library accepts: `N.N` or `N.N.N`. */
export const VERSION = /^\d+\.\d+(\.\d+)?$/;

/** The version after `version`: its last number one up; `1.0` when there is none. */
export function nextVersion(version: string | null | undefined): string {
  if (!version || !VERSION.test(version)) {
    return '1.0';
  }
  const parts = version.split('.').map(Number);
  parts[parts.length - 1] += 1;
  return parts.join('.');
}

/**
 * The spellings of an asset's key a request may carry: `mine/...` for the asker's own,
 * and `user:<me>/...`, or the scope token as it is for the others.
 */
function refsOf(key: IAssetKey, me: string): string[] {
  const refs = [assetRef(key)];
  if (key.scope === 'private') {
    refs.push(`private/${key.type}/${key.name}`);
    if (me) {
      refs.push(`user:${me}/${key.type}/${key.name}`);
    }
  }
  return refs;
}

/** The publish requests of one asset, the newest first. */
export function requestsFor(
  requests: readonly PublishRequest[],
  key: IAssetKey,
  me: string
): PublishRequest[] {
  const refs = refsOf(key, me);
  return requests
    .filter(r => refs.includes(r.asset))
    .sort((a, b) => (b.created || '').localeCompare(a.created || '') || b.id - a.id);
}

/** "pending", "approved by carol", "rejected: <reason>". */
export function statusText(request: PublishRequest): string {
  if (request.status === 'approved') {
    return request.decided_by ? `approved by ${request.decided_by}` : 'approved';
  }
  if (request.status === 'rejected') {
    const by = request.decided_by ? ` by ${request.decided_by}` : '';
    return request.reason ? `rejected${by}: ${request.reason}` : `rejected${by}`;
  }
  return 'pending';
}

/** The problems an error answer carries (a 400 of publish or of a manifest write). */
export function problemsOf(body: Record<string, unknown>): Problem[] {
  const problems = body.problems;
  if (!Array.isArray(problems)) {
    return [];
  }
  return problems
    .filter((p): p is Record<string, unknown> => !!p && typeof p === 'object')
    .map(p => ({
      file: typeof p.file === 'string' ? p.file : '',
      line: typeof p.line === 'number' ? p.line : null,
      field: typeof p.field === 'string' ? p.field : '',
      message: typeof p.message === 'string' ? p.message : String(p.message ?? '')
    }));
}

/**
 * Which field of a form an error belongs next to: the field the server named when the
 * form has it, else `fallback` (the form's own line).
 */
export function errorField<F extends string>(
  named: string,
  fields: readonly F[],
  fallback: F
): F {
  return (fields as readonly string[]).includes(named) ? (named as F) : fallback;
}

/** A line of a unified diff, for colouring: added, removed, a hunk header or context. */
export type DiffLineKind = 'add' | 'remove' | 'hunk' | 'meta' | 'context';

export function diffLines(text: string): Array<{ kind: DiffLineKind; text: string }> {
  if (!text) {
    return [];
  }
  return text.replace(/\n$/, '').split('\n').map(line => {
    let kind: DiffLineKind = 'context';
    if (line.startsWith('+++') || line.startsWith('---')) {
      kind = 'meta';
    } else if (line.startsWith('@@')) {
      kind = 'hunk';
    } else if (line.startsWith('+')) {
      kind = 'add';
    } else if (line.startsWith('-')) {
      kind = 'remove';
    }
    return { kind, text: line };
  });
}

/** Whether `me` (the library's `me` answer) may curate the common library. */
export function isCurator(me: { scopes?: readonly string[] } | null | undefined): boolean {
  return !!me?.scopes?.some(s => s === 'custom:library:curate' || s.startsWith('custom:library:curate!'));
}

/**
 * The page a person opens to see a shared run or snapshot, below the hub's root
 * (`/` unless the hub has a base URL).
 */
export function resultPath(
  root: string,
  kind: ResultKind,
  owner: string,
  dt: string,
  id: string
): string {
  const base = root.endsWith('/') ? root : `${root}/`;
  const parts = [kind, owner, dt, id].map(encodeURIComponent).join('/');
  return `${base}services/library/results/${parts}`;
}

/** The hub's root from its prefix, `/hub/` → `/`, `/base/hub/` → `/base/`. */
export function hubRoot(hubPrefix: string | null | undefined): string {
  const prefix = hubPrefix || '/hub/';
  const root = prefix.replace(/hub\/?$/, '');
  return root.endsWith('/') ? root : `${root}/`;
}

/** Who has a result grant: a user, or a group. */
export function resultSubject(grant: { user: string | null; group: string | null }): string {
  return grant.user ? grant.user : grant.group ? `group ${grant.group}` : '';
}

/**
 * The user's role on an asset: what its detail says; without it, the owner of their own
 * library, and `fork` for the common one (as the library decides for everyone).
 */
export function roleOf(scope: string, role: string | null | undefined): Role | undefined {
  if (role && role in RANK) {
    return role as Role;
  }
  return scope === 'private' ? 'owner' : scope === 'common' ? 'fork' : undefined;
}
