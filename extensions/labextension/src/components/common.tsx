import { IRenderMimeRegistry, RenderMimeRegistry } from '@jupyterlab/rendermime';
import { Contents } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';
import React, { useLayoutEffect, useRef, useState } from 'react';

import { errorText } from '../api/client';
import type { AssetType, Problem } from '../api/types';
import { problemText, scopeLabel, TYPE_NAMES } from '../domain/assets';
import { Spec, VEGALITE_MIME } from '../domain/charts';

export function Muted(props: { children: React.ReactNode; className?: string }): JSX.Element {
  return <div className={`dtaas-muted ${props.className ?? ''}`}>{props.children}</div>;
}

/** A server error where the user acted. */
export function ErrorText(props: { text: string; className?: string }): JSX.Element | null {
  return props.text ? (
    <div className={`dtaas-error ${props.className ?? ''}`} role="alert">
      {props.text}
    </div>
  ) : null;
}

export function ScopeBadge(props: { scope: string }): JSX.Element {
  return (
    <span className="dtaas-scope-badge" data-scope={props.scope}>
      {scopeLabel(props.scope)}
    </span>
  );
}

export function TypeBadge(props: { type: AssetType }): JSX.Element {
  return <span className="dtaas-type-badge">{TYPE_NAMES[props.type] ?? props.type}</span>;
}

export function TagChip(props: { tag: string; onClick?: (tag: string) => void }): JSX.Element {
  return (
    <button
      type="button"
      className="dtaas-tag"
      data-tag={props.tag}
      title={`Show assets tagged ${props.tag}`}
      onClick={event => {
        event.stopPropagation(); // a tag on a card is not also a click on the card
        props.onClick?.(props.tag);
      }}
    >
      {props.tag}
    </button>
  );
}

export function ProblemList(props: { problems: Problem[] }): JSX.Element {
  return (
    <ul className="dtaas-problems">
      {props.problems.map((p, i) => (
        <li key={i} className="dtaas-problem" data-line={String(p.line ?? '')} data-field={p.field}>
          {problemText(p)}
        </li>
      ))}
    </ul>
  );
}

/** A titled part of a page. */
export function Section(props: {
  title: string;
  className: string;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <section className={`dtaas-section ${props.className}-section`}>
      <h4 className="dtaas-section-title">{props.title}</h4>
      {props.children}
    </section>
  );
}

/**
 * A Lab renderer (markdown, Vega) shown in React: rendermime renderers are Lumino
 * widgets, attached to a host element this component owns.
 */
function RenderedMime(props: {
  rendermime: IRenderMimeRegistry;
  mime: string;
  data: unknown;
  className: string;
  trusted?: boolean;
  /** Draw again when a container that had no width gets one (plots as wide as it). */
  redrawWhenSized?: boolean;
}): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const [error, setError] = useState('');
  const { rendermime, mime, data, trusted, redrawWhenSized } = props;
  // A layout effect: its cleanup runs before React removes the host from the page, so the
  // renderer is detached while still attached (Lumino throws on detaching a removed node).
  useLayoutEffect(() => {
    const renderer = rendermime.createRenderer(mime);
    const model = rendermime.createModel({ data: { [mime]: data as any }, trusted: !!trusted });
    let live = true;
    // Attached before it renders: a plot as wide as its container measures the container.
    const attach = () => {
      if (live && host.current?.isConnected && !renderer.isAttached) {
        Widget.attach(renderer, host.current);
      }
    };
    attach();
    let drawnWidth = host.current?.clientWidth ?? 0;
    renderer.renderModel(model).then(attach, reason => live && setError(errorText(reason)));
    // Drawn while its tab was hidden, a plot as wide as its container is 0 wide: it is
    // drawn again once the container has a width.
    const observer = redrawWhenSized
      ? new ResizeObserver(() => {
          const width = host.current?.clientWidth ?? 0;
          if (live && drawnWidth === 0 && width > 0) {
            drawnWidth = width;
            renderer.renderModel(model).catch(reason => live && setError(errorText(reason)));
          }
        })
      : null;
    if (observer && host.current) {
      observer.observe(host.current);
    }
    return () => {
      live = false;
      observer?.disconnect();
      renderer.dispose();
    };
  }, [rendermime, mime, data, trusted, redrawWhenSized]);
  return (
    <>
      <div className={props.className} ref={host} />
      <ErrorText text={error} />
    </>
  );
}

/** A README, rendered by Lab's sanitising markdown renderer; links resolve in its folder. */
export function Markdown(props: {
  rendermime: IRenderMimeRegistry;
  contents: Contents.IManager;
  text: string;
  /** Workspace-relative path of the file the text comes from. */
  path: string;
}): JSX.Element {
  const { rendermime, contents, path } = props;
  const registry = React.useMemo(
    () =>
      rendermime.clone({ resolver: new RenderMimeRegistry.UrlResolver({ path, contents }) }),
    [rendermime, contents, path]
  );
  return (
    <RenderedMime
      rendermime={registry}
      mime="text/markdown"
      data={props.text}
      className="dtaas-readme"
    />
  );
}

/** A plot: a Vega-Lite specification drawn by Lab's own Vega renderer. */
export function Plot(props: {
  rendermime: IRenderMimeRegistry;
  spec: Spec;
  className?: string;
}): JSX.Element {
  if (!props.rendermime.mimeTypes.includes(VEGALITE_MIME)) {
    return <Muted>Plots need JupyterLab&apos;s Vega renderer, which is not installed.</Muted>;
  }
  return (
    <RenderedMime
      rendermime={props.rendermime}
      mime={VEGALITE_MIME}
      data={props.spec}
      trusted
      redrawWhenSized
      className={`dtaas-plot ${props.className ?? ''}`}
    />
  );
}
