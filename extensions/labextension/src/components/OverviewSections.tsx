/**
 * The parts of an asset's page, shared by a twin's Overview tab and the page of a
 * function, model, tool or data asset: what the manifest says, the actions, the
 * problems, the README, what it uses and what uses it, and its files.
 */
import { Button } from '@jupyterlab/ui-components';
import React from 'react';

import type { Asset, AssetDetail, FileEntry, IAssetKey } from '../api/types';
import { assetRef } from '../domain/assets';
import { formatModified, formatSize } from '../domain/format';
import { IParameterSchema, parameterNames, recordsOf } from '../domain/parameters';
import { TwinModel } from '../models/twin';
import { Muted, ProblemList, Section, TagChip, Markdown } from './common';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';

function keyOf(asset: Asset): IAssetKey {
  return { scope: asset.scope, type: asset.type, name: asset.name, title: asset.title };
}

function MetaLine(props: { label: string; children: React.ReactNode; name: string }): JSX.Element {
  return (
    <div className="dtaas-meta-line" data-meta={props.name}>
      <span className="dtaas-label">{props.label}</span>
      <span className="dtaas-meta-value">{props.children}</span>
    </div>
  );
}

/** Path, version, authors, tags, and for a twin its steps, parameters and recorded values. */
export function ManifestSummary(props: { model: TwinModel; context: IDTaaSContext }): JSX.Element {
  const { model, context } = props;
  const detail = model.detail;
  const info = model.info;
  const steps = info?.steps ?? (detail?.steps ?? []).map(name => ({ name, description: '' }));
  const parameters = info ? parameterNames(info.parameters as IParameterSchema) : null;
  const records = recordsOf(info?.records);
  const description = detail?.description || info?.description || '';
  return (
    <div className="dtaas-manifest-summary dtaas-meta">
      {description ? <p className="dtaas-page-description">{description}</p> : null}
      {detail?.path || info?.path ? (
        <MetaLine label="Path" name="path">
          <code>{detail?.path || info?.path}</code>
        </MetaLine>
      ) : null}
      {detail?.version ? (
        <MetaLine label="Version" name="version">
          <span className="dtaas-version">{detail.version}</span>
        </MetaLine>
      ) : null}
      {detail?.authors?.length ? (
        <MetaLine label="Authors" name="authors">
          {detail.authors.join(', ')}
        </MetaLine>
      ) : null}
      {detail?.tags?.length ? (
        <MetaLine label="Tags" name="tags">
          <span className="dtaas-tags">
            {detail.tags.map(tag => (
              <TagChip key={tag} tag={tag} onClick={t => context.library.addTag(t)} />
            ))}
          </span>
        </MetaLine>
      ) : null}
      {model.isTwin ? (
        <MetaLine label="Lifecycle" name="lifecycle">
          {steps.length ? (
            steps.map(step => (
              <span key={step.name} className="dtaas-step" title={step.description || step.name}>
                {step.name}
              </span>
            ))
          ) : (
            <span className="dtaas-hint">no steps</span>
          )}
        </MetaLine>
      ) : null}
      {parameters !== null ? (
        <MetaLine label="Parameters" name="parameters">
          <span className="dtaas-parameter-count">
            {parameters.length === 1 ? '1 parameter' : `${parameters.length} parameters`}
          </span>
        </MetaLine>
      ) : null}
      {records.length ? (
        <MetaLine label="Records" name="records">
          <span className="dtaas-records">
            {records.map(record => (
              <span
                key={record.name}
                className="dtaas-record"
                data-record={record.name}
                title={record.description}
              >
                <code className="dtaas-recorded-name">{record.name}</code>
                {record.unit ? <span className="dtaas-recorded-unit">{record.unit}</span> : null}
              </span>
            ))}
          </span>
        </MetaLine>
      ) : null}
      {detail?.size !== undefined ? (
        <MetaLine label="Size" name="size">
          {formatSize(detail.size)}
        </MetaLine>
      ) : null}
      {detail?.modified ? (
        <MetaLine label="Modified" name="modified">
          {formatModified(detail.modified)}
        </MetaLine>
      ) : null}
    </div>
  );
}

/** The files a page offers to open: a twin's README and dt.yaml, an asset's README and asset.yaml. */
function openableFiles(detail: AssetDetail, isTwin: boolean): string[] {
  const names = isTwin ? ['README.md', 'dt.yaml'] : ['README.md', 'asset.yaml'];
  return names.filter(name => detail.files.some(f => f.path === name && f.type === 'file'));
}

/** Open in the file browser, open README and manifest, Configure, Add to new DT. */
export function AssetActions(props: {
  model: TwinModel;
  context: IDTaaSContext;
  configure: boolean;
}): JSX.Element {
  const { model, context, configure } = props;
  const { picks } = context;
  useSignal(picks.changed);
  const detail = model.detail;
  const picked = picks.has(model.ref);
  return (
    <div className="dtaas-detail-actions dtaas-page-actions">
      {detail ? (
        <Button
          className="dtaas-open-in-browser jp-mod-styled jp-mod-reject"
          title={`Show ${detail.path} in the file browser`}
          onClick={() => context.goTo(detail.path)}
        >
          Open in file browser
        </Button>
      ) : null}
      {detail
        ? openableFiles(detail, model.isTwin).map(name => {
            const path = `${detail.path}/${name}`;
            return (
              <Button
                key={name}
                className="dtaas-open-file jp-mod-styled jp-mod-reject"
                data-path={path}
                title={`Open ${path}`}
                onClick={() => context.open(path)}
              >
                Open {name}
              </Button>
            );
          })
        : null}
      {configure ? (
        <Button
          className="dtaas-open-configure jp-mod-styled jp-mod-reject"
          title="Edit the parameters and run lifecycle steps"
          onClick={() => context.openAsset(model.key, 'configure')}
        >
          Configure…
        </Button>
      ) : null}
      <Button
        className="dtaas-add-to-dt jp-mod-styled jp-mod-accept"
        disabled={picked}
        title={
          picked
            ? 'On the pick list of the next new digital twin'
            : 'Put this asset on the pick list of the next new digital twin'
        }
        onClick={() => picks.add({ ref: model.ref, title: model.title })}
      >
        {picked ? 'Added to new DT' : 'Add to new DT'}
      </Button>
    </div>
  );
}

/** The manifest's problems with their lines; nothing when there are none. */
export function ProblemsSection(props: { detail: AssetDetail | null }): JSX.Element | null {
  const problems = props.detail?.problems ?? [];
  if (problems.length === 0) {
    return null;
  }
  return (
    <Section title={`Problems (${problems.length})`} className="dtaas-problems">
      <ProblemList problems={problems} />
    </Section>
  );
}

export function ReadmeSection(props: {
  detail: AssetDetail;
  context: IDTaaSContext;
}): JSX.Element {
  const { detail, context } = props;
  return (
    <Section title="README" className="dtaas-readme">
      {detail.readme ? (
        <Markdown
          rendermime={context.rendermime}
          contents={context.contents}
          text={detail.readme}
          path={`${detail.path}/README.md`}
        />
      ) : (
        <Muted>No README</Muted>
      )}
    </Section>
  );
}

function AssetLink(props: { asset: Asset; context: IDTaaSContext }): JSX.Element {
  const { asset, context } = props;
  return (
    <a
      className="dtaas-asset-link"
      href="#"
      title={assetRef(asset)}
      onClick={event => {
        event.preventDefault();
        context.openAsset(keyOf(asset));
      }}
    >
      {asset.title || asset.name}
    </a>
  );
}

/** The assets a twin's dt.yaml lists; those the library does not have are marked missing. */
export function UsesSection(props: { detail: AssetDetail; context: IDTaaSContext }): JSX.Element {
  const uses = props.detail.relations?.uses ?? [];
  return (
    <Section title="Uses" className="dtaas-uses">
      {uses.length ? (
        <ul className="dtaas-uses dtaas-plain-list">
          {uses.map(use =>
            use.missing || !use.asset ? (
              <li key={use.ref} className="dtaas-missing" data-ref={use.ref}>
                <code>{use.ref}</code>
                <span className="dtaas-missing-note" title={use.problem}>
                  missing{use.problem ? `: ${use.problem}` : ''}
                </span>
              </li>
            ) : (
              <li key={use.ref} data-ref={use.ref}>
                <AssetLink asset={use.asset} context={props.context} />
                <code className="dtaas-ref">{use.ref}</code>
              </li>
            )
          )}
        </ul>
      ) : (
        <Muted>No assets</Muted>
      )}
    </Section>
  );
}

export function UsedBySection(props: {
  detail: AssetDetail;
  context: IDTaaSContext;
}): JSX.Element {
  const usedBy = props.detail.relations?.used_by ?? [];
  return (
    <Section title="Used by" className="dtaas-used-by">
      {usedBy.length ? (
        <ul className="dtaas-used-by dtaas-plain-list">
          {usedBy.map(asset => {
            const ref = assetRef(asset);
            return (
              <li key={ref} data-ref={ref}>
                <AssetLink asset={asset} context={props.context} />
                <code className="dtaas-ref">{ref}</code>
              </li>
            );
          })}
        </ul>
      ) : (
        <Muted>No digital twin uses it</Muted>
      )}
    </Section>
  );
}

/** Where a listed file is in the workspace; a single-file asset lists itself. */
export function filePath(detail: AssetDetail, file: FileEntry): string {
  const single = detail.files.length === 1 && file.path === detail.path.split('/').pop();
  return single ? detail.path : `${detail.path}/${file.path}`;
}

function FileItem(props: {
  detail: AssetDetail;
  file: FileEntry;
  context: IDTaaSContext;
}): JSX.Element {
  const { detail, file, context } = props;
  const depth = file.path.split('/').length - 1;
  const full = filePath(detail, file);
  const name = file.path.split('/').pop() ?? file.path;
  const isDir = file.type === 'directory';
  return (
    <li
      className={`dtaas-file dtaas-file-${file.type}`}
      data-path={file.path}
      style={{ paddingLeft: `${depth * 12}px` }}
    >
      <a
        className="dtaas-file-link"
        href="#"
        title={isDir ? `Show ${full} in the file browser` : `Open ${full}`}
        onClick={event => {
          event.preventDefault();
          if (isDir) {
            context.goTo(full);
          } else {
            context.open(full);
          }
        }}
      >
        {isDir ? `${name}/` : name}
      </a>
      {isDir ? null : <span className="dtaas-file-size">{formatSize(file.size)}</span>}
    </li>
  );
}

export function FilesSection(props: { detail: AssetDetail; context: IDTaaSContext }): JSX.Element {
  const { detail, context } = props;
  return (
    <Section title="Files" className="dtaas-files">
      {detail.files.length ? (
        <ul className="dtaas-files dtaas-plain-list">
          {detail.files.map(file => (
            <FileItem key={file.path} detail={detail} file={file} context={context} />
          ))}
        </ul>
      ) : (
        <Muted>No files</Muted>
      )}
    </Section>
  );
}

/**
 * The whole of an asset's overview: summary and actions on top, then problems,
 * README, relations and files. A twin lists what it uses and may be configured.
 */
export function AssetOverview(props: {
  model: TwinModel;
  context: IDTaaSContext;
  className: string;
}): JSX.Element {
  const { model, context } = props;
  const detail = model.detail;
  const isTwin = model.isTwin;
  return (
    <div className={`${props.className} dtaas-asset-overview`} data-path={detail?.path ?? ''}>
      <div className="dtaas-overview-top">
        <ManifestSummary model={model} context={context} />
        <AssetActions model={model} context={context} configure={isTwin && model.runs !== null} />
      </div>
      {isTwin && model.infoError ? <div className="dtaas-error">{model.infoError}</div> : null}
      {detail ? (
        <>
          <ProblemsSection detail={detail} />
          <ReadmeSection detail={detail} context={context} />
          <div className="dtaas-overview-columns">
            {isTwin ? <UsesSection detail={detail} context={context} /> : null}
            <UsedBySection detail={detail} context={context} />
            <FilesSection detail={detail} context={context} />
          </div>
        </>
      ) : (
        <Muted>
          {model.detailError
            ? 'The library cannot describe this asset now; refresh to try again.'
            : 'Loading…'}
        </Muted>
      )}
    </div>
  );
}
