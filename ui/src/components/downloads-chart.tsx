import { useId, type ReactNode } from "react";
import type { DailyCount } from "../api/package-types.ts";
import { layoutDownloadBars } from "./download-bars.ts";

const WIDTH = 720;
const HEIGHT = 180;

/**
 * Installs per day as an SVG bar chart (attributes and classes only: the page's CSP allows no
 * inline style), named by its <title> and summed up by its <desc>, with the numbers themselves in
 * a visually hidden table for screen readers.
 */
export function DownloadsChart(props: {
  readonly daily: readonly DailyCount[];
  /** What is counted, for the title ("acme/widgets, all versions"). */
  readonly subject: string;
}): ReactNode {
  const id = useId();
  const { daily } = props;
  const layout = layoutDownloadBars(daily, WIDTH, HEIGHT);
  const total = daily.reduce((sum, entry) => sum + entry.count, 0);
  const peak = daily.reduce<DailyCount | null>(
    (best, entry) => (best === null || entry.count > best.count ? entry : best),
    null,
  );
  const first = daily[0]?.day ?? "";
  const last = daily.at(-1)?.day ?? "";
  const title = `Installs per day of ${props.subject}, ${first} to ${last}`;
  const description =
    peak === null || peak.count === 0
      ? `No installs in these ${String(daily.length)} days.`
      : `${String(total)} installs in ${String(daily.length)} days; the most, ${String(peak.count)}, on ${peak.day}.`;
  return (
    <div className="chart">
      <svg
        className="chart-svg"
        viewBox={`0 0 ${String(WIDTH)} ${String(HEIGHT)}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        data-testid="downloads-chart"
      >
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>{description}</desc>
        {layout.guides.map((guide) => (
          <line key={guide.count} className="chart-guide" x1={0} x2={WIDTH} y1={guide.y} y2={guide.y} />
        ))}
        <line className="chart-axis" x1={0} x2={WIDTH} y1={HEIGHT} y2={HEIGHT} />
        {layout.bars.map((bar) =>
          bar.height === 0 ? null : (
            <rect
              key={bar.day}
              className="chart-bar"
              x={bar.x}
              y={bar.y}
              width={bar.width}
              height={bar.height}
              data-day={bar.day}
              data-count={bar.count}
            />
          ),
        )}
      </svg>
      <p className="chart-legend" aria-hidden="true">
        <span>{first}</span>
        <span>scale: 0 to {layout.scaleMax} a day</span>
        <span>{last}</span>
      </p>
      <div className="chart-numbers">
        <div className="visually-hidden">
          <table data-testid="downloads-table">
            <caption>{title}</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Installs</th>
              </tr>
            </thead>
            <tbody>
              {daily.map((entry) => (
                <tr key={entry.day}>
                  <th scope="row">{entry.day}</th>
                  <td>{entry.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  );
}
