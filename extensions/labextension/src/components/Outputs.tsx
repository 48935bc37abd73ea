/** A finished run's outputs: images inline, CSV files as tables and plots, the rest listed. */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import React, { useState } from 'react';

import { fileUrl } from '../api/client';
import type { IOutputFile, IRunOutputs } from '../api/runtime';
import type { Run } from '../api/types';
import { formatSize } from '../domain/format';
import { outputPath } from '../models/outputs';
import { Muted } from './common';
import { CsvPreview } from './CsvPreview';

/** Inline at most this many images and CSV previews; the others are listed. */
const MAX_IMAGES = 24;
const MAX_CSV_PREVIEWS = 6;

/** Image types a browser shows in an `img` from the server's files. */
const INLINE_IMAGES = new Set([
  'image/png',
  'image/svg+xml',
  'image/jpeg',
  'image/gif',
  'image/webp'
]);

function OpenLink(props: { file: IOutputFile; open: (file: IOutputFile) => void }): JSX.Element {
  return (
    <a
      href="#"
      className="dtaas-output-open"
      data-path={props.file.path}
      title={`Open ${props.file.path} in JupyterLab`}
      onClick={event => {
        event.preventDefault();
        props.open(props.file);
      }}
    >
      {props.file.path}
    </a>
  );
}

function OutputImage(props: {
  run: Run;
  file: IOutputFile;
  open: (file: IOutputFile) => void;
}): JSX.Element {
  const { run, file } = props;
  const [failed, setFailed] = useState(false);
  return (
    <figure className="dtaas-output-figure" data-path={file.path}>
      {failed ? (
        <Muted>Cannot show this image.</Muted>
      ) : (
        <img
          className="dtaas-output-image"
          data-path={file.path}
          src={fileUrl(outputPath(run, file.path))}
          alt={file.path}
          loading="lazy"
          onError={() => setFailed(true)}
        />
      )}
      <figcaption>
        <OpenLink file={file} open={props.open} />{' '}
        <span className="dtaas-muted">{formatSize(file.size)}</span>
      </figcaption>
    </figure>
  );
}

export function Outputs(props: {
  run: Run;
  outputs: IRunOutputs;
  rendermime: IRenderMimeRegistry;
  open: (path: string) => void;
}): JSX.Element {
  const { run, outputs, rendermime } = props;
  const open = (file: IOutputFile) => props.open(outputPath(run, file.path));
  const images = outputs.files
    .filter(f => f.kind === 'image' && INLINE_IMAGES.has(f.mime))
    .slice(0, MAX_IMAGES);
  const csvs = outputs.files.filter(f => f.kind === 'csv').slice(0, MAX_CSV_PREVIEWS);
  const inline = new Set([...images, ...csvs]);
  const others = outputs.files.filter(f => !inline.has(f));
  return (
    <div className="dtaas-outputs" data-run-id={run.id}>
      {outputs.files.length === 0 ? <Muted>This run wrote no output files.</Muted> : null}
      {images.length ? (
        <div className="dtaas-output-images">
          {images.map(file => (
            <OutputImage key={file.path} run={run} file={file} open={open} />
          ))}
        </div>
      ) : null}
      {csvs.map(file => (
        <CsvPreview
          key={file.path}
          run={run}
          file={file}
          rendermime={rendermime}
          open={() => open(file)}
        />
      ))}
      {others.length ? (
        <ul className="dtaas-output-files">
          {others.map(file => (
            <li
              key={file.path}
              className="dtaas-output-file"
              data-path={file.path}
              data-kind={file.kind}
            >
              <OpenLink file={file} open={open} />{' '}
              <span className="dtaas-muted">{formatSize(file.size)}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {outputs.truncated ? (
        <Muted>
          Only the first {outputs.files.length} files are listed; open the folder for all.
        </Muted>
      ) : null}
    </div>
  );
}
