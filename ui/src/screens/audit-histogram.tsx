import { useEffect, useId, useMemo, useState, type PointerEvent, type ReactNode } from "react";
import type { AuditHistogramResponse } from "../api/audit-histogram-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem } from "../api/use-api-data.ts";
import { setQualifier } from "../audit-query/query-terms.ts";
import { binLabel, brushedCreated, histogramFromCounts } from "../audit-histogram/event-histogram.ts";
import { readableCeiling } from "../components/download-bars.ts";

/** At most this many bars: the server picks the narrowest round width that keeps to it. */
export const HISTOGRAM_BUCKETS = 60;
const WIDTH = 720;
const HEIGHT = 160;

type Counted =
  | { readonly status: "loading" }
  | { readonly status: "error"; readonly detail: string }
  | { readonly status: "ready"; readonly answer: AuditHistogramResponse };

/**
 * The events of a search over time, as an SVG bar chart of exact counts the server makes for the
 * whole search (`GET /api/audit/histogram`). A range of bars is chosen by dragging across the
 * chart or with the two range inputs, and narrows the search with a `created:` term. Mount it anew
 * (a `key`) for each search.
 */
export function AuditHistogram(props: {
  readonly query: string;
  readonly onNarrow: (query: string) => void;
}): ReactNode {
  const { api } = useSession();
  const [counted, setCounted] = useState<Counted>({ status: "loading" });
  const { query } = props;

  useEffect(() => {
    const controller = new AbortController();
    const params = new URLSearchParams({ buckets: String(HISTOGRAM_BUCKETS) });
    if (query !== "") params.set("q", query);
    api.get<AuditHistogramResponse>(`/api/audit/histogram?${params.toString()}`, controller.signal).then(
      (answer) => {
        setCounted({ status: "ready", answer });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setCounted({ status: "error", detail: asProblem(error).detail });
      },
    );
    return () => {
      controller.abort();
    };
  }, [api, query]);

  if (counted.status === "loading")
    return (
      <p className="state-loading" role="status">
        Counting events…
      </p>
    );
  if (counted.status === "error")
    return <p className="hint">The events over time could not be counted: {counted.detail}</p>;
  if (counted.answer.total === 0 || counted.answer.buckets.length === 0)
    return <p className="hint">No event to count.</p>;
  return <HistogramChart {...props} answer={counted.answer} />;
}

function HistogramChart(props: {
  readonly query: string;
  readonly onNarrow: (query: string) => void;
  readonly answer: AuditHistogramResponse;
}): ReactNode {
  const id = useId();
  const histogram = useMemo(() => histogramFromCounts(props.answer), [props.answer]);
  const { bins } = histogram;
  const last = bins.length - 1;
  const [from, setFrom] = useState(0);
  const [to, setTo] = useState(last);
  const [dragFrom, setDragFrom] = useState<number | null>(null);
  const low = Math.min(from, to);
  const high = Math.max(from, to);
  const slot = WIDTH / bins.length;
  const scaleMax = readableCeiling(bins.reduce((peak, bin) => Math.max(peak, bin.count), 0));
  const firstLabel = bins[0] === undefined ? "" : binLabel(histogram, bins[0]);
  const lastLabel = bins[last] === undefined ? "" : binLabel(histogram, bins[last]);
  const lowLabel = bins[low] === undefined ? "" : binLabel(histogram, bins[low]);
  const highLabel = bins[high] === undefined ? "" : binLabel(histogram, bins[high]);
  const unit = histogram.width % 86_400_000 === 0 ? "per day" : "per interval";
  const title = `Events over time, ${firstLabel} to ${lastLabel}`;
  const description = `${String(histogram.total)} events in ${String(bins.length)} bars; the tallest bar is at most ${String(scaleMax)} events.`;

  function binAt(event: PointerEvent<SVGSVGElement>): number {
    const box = event.currentTarget.getBoundingClientRect();
    const ratio = box.width === 0 ? 0 : (event.clientX - box.left) / box.width;
    return Math.min(last, Math.max(0, Math.floor(ratio * bins.length)));
  }

  function narrow(start: number, end: number): void {
    const value = brushedCreated(histogram, start, end);
    if (value !== "") props.onNarrow(setQualifier(props.query, "created:", value));
  }

  return (
    <div className="audit-histogram">
      <p
        className="hint"
        data-testid="histogram-coverage"
        data-from={props.answer.from ?? ""}
        data-to={props.answer.to ?? ""}
      >
        {`Counts all ${String(histogram.total)} events of this search, from ${firstLabel} to ${lastLabel}.`}
      </p>
      <svg
        className="histogram-svg"
        viewBox={`0 0 ${String(WIDTH)} ${String(HEIGHT)}`}
        preserveAspectRatio="none"
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        data-testid="audit-histogram"
        onPointerDown={(event) => {
          if (event.button !== 0) return;
          event.currentTarget.setPointerCapture(event.pointerId);
          const at = binAt(event);
          setDragFrom(at);
          setFrom(at);
          setTo(at);
        }}
        onPointerMove={(event) => {
          if (dragFrom !== null) setTo(binAt(event));
        }}
        onPointerUp={(event) => {
          if (dragFrom === null) return;
          const at = binAt(event);
          setDragFrom(null);
          setTo(at);
          narrow(dragFrom, at);
        }}
        onPointerCancel={() => {
          setDragFrom(null);
        }}
      >
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>{description}</desc>
        {low === 0 && high === last && dragFrom === null ? null : (
          <rect
            className="histogram-brush"
            x={low * slot}
            y={0}
            width={(high - low + 1) * slot}
            height={HEIGHT}
            data-testid="histogram-brush"
          />
        )}
        <line
          className="histogram-axis"
          x1={0}
          x2={WIDTH}
          y1={HEIGHT}
          y2={HEIGHT}
          vectorEffect="non-scaling-stroke"
        />
        {bins.map((bin, index) =>
          bin.count === 0 ? null : (
            <rect
              key={bin.start}
              className={index >= low && index <= high ? "histogram-bar" : "histogram-bar histogram-bar-out"}
              x={index * slot + slot * 0.1}
              y={HEIGHT - (bin.count / scaleMax) * HEIGHT}
              width={slot * 0.8}
              height={(bin.count / scaleMax) * HEIGHT}
              data-start={new Date(bin.start).toISOString()}
              data-count={bin.count}
            />
          ),
        )}
      </svg>
      <p className="histogram-legend" aria-hidden="true">
        <span>{firstLabel}</span>
        <span>
          scale: 0 to {scaleMax} {unit === "per day" ? "a day" : "a bar"}
        </span>
        <span>{lastLabel}</span>
      </p>
      <div className="histogram-brush-controls">
        <div className="field">
          <label htmlFor={`${id}-from`}>Range start</label>
          <input
            id={`${id}-from`}
            type="range"
            min={0}
            max={last}
            step={1}
            value={from}
            aria-valuetext={bins[from] === undefined ? "" : binLabel(histogram, bins[from])}
            onChange={(event) => {
              setFrom(Number(event.target.value));
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>Range end</label>
          <input
            id={`${id}-to`}
            type="range"
            min={0}
            max={last}
            step={1}
            value={to}
            aria-valuetext={bins[to] === undefined ? "" : binLabel(histogram, bins[to])}
            onChange={(event) => {
              setTo(Number(event.target.value));
            }}
          />
        </div>
        <button
          type="button"
          onClick={() => {
            narrow(low, high);
          }}
        >
          Show events from {lowLabel} to {highLabel}
        </button>
      </div>
      <div className="visually-hidden">
        <table data-testid="histogram-table">
          <caption>{title}</caption>
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">Events</th>
            </tr>
          </thead>
          <tbody>
            {bins.map((bin) => (
              <tr key={bin.start}>
                <th scope="row">{binLabel(histogram, bin)}</th>
                <td>{bin.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
