// The document viewer officers check identities with: zoom and rotate, one document or two side
// by side (KTP-el against the selfie). Every image shown is a logged view on the server.

import { useState } from "preact/hooks";

export interface ViewedDocument {
  label: string;
  url: string;
}

function Pane({ document }: { document: ViewedDocument }) {
  const [zoom, setZoom] = useState(1);
  const [turn, setTurn] = useState(0);
  const [broken, setBroken] = useState(false);
  return (
    <figure class="viewer-pane">
      <figcaption>
        <span>{document.label}</span>
        <span class="viewer-tools">
          <button type="button" class="button secondary small" onClick={() => setZoom((z) => Math.min(4, z * 1.25))}>
            Perbesar
          </button>
          <button type="button" class="button secondary small" onClick={() => setZoom((z) => Math.max(0.5, z / 1.25))}>
            Perkecil
          </button>
          <button type="button" class="button secondary small" onClick={() => setTurn((t) => (t + 90) % 360)}>
            Putar
          </button>
          <a class="button secondary small" href={document.url} target="_blank" rel="noopener">
            Buka di tab baru
          </a>
        </span>
      </figcaption>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a zoomed document scrolls; keyboard users must reach it (WCAG 2.1.1, axe scrollable-region-focusable). */}
      <section class="viewer-frame" tabIndex={0} aria-label={`${document.label}, dapat digulir`}>
        {broken ? (
          <p>
            Berkas ini bukan gambar (mungkin PDF).{" "}
            <a href={document.url} target="_blank" rel="noopener">
              Buka {document.label}
            </a>
          </p>
        ) : (
          <img
            src={document.url}
            alt={document.label}
            class="viewer-image"
            ref={(element) => {
              if (element) element.style.transform = `scale(${zoom}) rotate(${turn}deg)`;
            }}
            onError={() => setBroken(true)}
          />
        )}
      </section>
    </figure>
  );
}

/** The documents of a record: pick one, or two side by side. */
export function DocumentViewer({ documents, pair }: { documents: ViewedDocument[]; pair?: [number, number] }) {
  const [selected, setSelected] = useState(0);
  const [sideBySide, setSideBySide] = useState(Boolean(pair));
  const shown = sideBySide && pair ? pair.map((i) => documents[i]) : [documents[selected]];
  return (
    <section class="viewer" aria-label="Dokumen">
      <fieldset class="viewer-choice">
        <legend class="visually-hidden">Pilih dokumen</legend>
        {documents.map((document, index) => (
          <button
            type="button"
            key={document.url}
            class={!sideBySide && index === selected ? "button small" : "button secondary small"}
            aria-pressed={!sideBySide && index === selected}
            onClick={() => {
              setSideBySide(false);
              setSelected(index);
            }}
          >
            {document.label}
          </button>
        ))}
        {pair ? (
          <button
            type="button"
            class={sideBySide ? "button small" : "button secondary small"}
            aria-pressed={sideBySide}
            onClick={() => setSideBySide(true)}
          >
            {documents[pair[0]]?.label} dan {documents[pair[1]]?.label} berdampingan
          </button>
        ) : null}
      </fieldset>
      <div class={shown.length > 1 ? "viewer-panes two" : "viewer-panes"}>
        {shown.map((document) => (document ? <Pane key={document.url} document={document} /> : null))}
      </div>
    </section>
  );
}
