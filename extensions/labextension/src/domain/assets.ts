/** Names and labels of library assets; pure, so the unit tests cover them. */
import type { AssetType, IAssetKey, Problem, RunScope } from '../api/types';

export const ASSET_TYPES: readonly AssetType[] = [
  'digital_twins',
  'functions',
  'models',
  'tools',
  'data'
];

export const TYPE_LABELS: Record<AssetType, string> = {
  digital_twins: 'Digital twins',
  functions: 'Functions',
  models: 'Models',
  tools: 'Tools',
  data: 'Data'
};

/** The singular, for a badge on one asset. */
export const TYPE_NAMES: Record<AssetType, string> = {
  digital_twins: 'Digital twin',
  functions: 'Function',
  models: 'Model',
  tools: 'Tool',
  data: 'Data'
};

/** The server's rule for names of new digital twins. */
export const DT_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** How references and URLs name a scope: the user's own library is "mine". */
export function scopeToken(scope: string): string {
  return scope === 'private' ? 'mine' : scope;
}

/** The reference a digital twin's dt.yaml uses for an asset: `mine/functions/solver`. */
export function assetRef(asset: { scope: string; type: string; name: string }): string {
  return `${scopeToken(asset.scope)}/${asset.type}/${asset.name}`;
}

/** The key of a reference; null if it is not one. */
export function parseRef(ref: string): IAssetKey | null {
  const parts = ref.split('/');
  if (parts.length !== 3 || !ASSET_TYPES.includes(parts[1] as AssetType) || !parts[2]) {
    return null;
  }
  const scope = parts[0] === 'mine' ? 'private' : parts[0];
  return { scope, type: parts[1] as AssetType, name: parts[2] };
}

/** "mine", "common", the group's name, or the name of the user who shared it. */
export function scopeLabel(scope: string): string {
  if (scope === 'private') {
    return 'mine';
  }
  if (scope.startsWith('group:')) {
    return scope.slice('group:'.length);
  }
  return scope.startsWith('user:') ? scope.slice('user:'.length) : scope;
}

/** An asset another user owns and shared: its scope is `user:<owner>`. */
export function isSharedScope(scope: string): boolean {
  return /^user:[^/]+$/.test(scope);
}

/**
 * The runtime runs twins of the user's own, the common and their groups' libraries, and
 * twins other users or groups shared with them (`user:<u>`, `group:<g>`).
 */
export function runScope(scope: string): RunScope | null {
  return scope === 'private' ||
    scope === 'common' ||
    /^(group|user):[a-z0-9][a-z0-9._-]{0,63}$/.test(scope)
    ? (scope as RunScope)
    : null;
}

/** "file:line field: message", as compilers print them; missing parts are left out. */
export function problemText(problem: Problem): string {
  const where = problem.line ? `${problem.file}:${problem.line}` : problem.file;
  return problem.field
    ? `${where} ${problem.field}: ${problem.message}`
    : `${where}: ${problem.message}`;
}

/**
 * The asset type a saved manifest describes, or null if the file is not one.
 * An asset.yaml says its type by its folder: `<type>/<name>/asset.yaml`.
 */
export function manifestType(path: string): AssetType | null {
  const parts = path.split('/');
  const file = parts[parts.length - 1];
  if (file === 'dt.yaml') {
    return 'digital_twins';
  }
  if (file === 'asset.yaml' && parts.length >= 3) {
    const type = parts[parts.length - 3] as AssetType;
    return ASSET_TYPES.includes(type) ? type : null;
  }
  return null;
}
