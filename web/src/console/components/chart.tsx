// Charts of the dashboard, drawn by uPlot (about 20 KB compressed, no dependencies): lines or
// bars over one x axis, with the exact numbers in the legend as the pointer moves, and the same
// figures as a table for screen readers (and for anyone who prefers numbers).

import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
  /** Shown as "45%" instead of 0.45. */
  percent?: boolean;
}

interface Props {
  title: string;
  /** Labels of the x positions (dates, weeks, names), in order. */
  labels: string[];
  series: Series[];
  bars?: boolean;
  height?: number;
}

const format = (value: number | null | undefined, percent?: boolean) =>
  value == null
    ? "—"
    : percent
      ? `${Math.round(value * 100)}%`
      : value.toLocaleString("id-ID", { maximumFractionDigits: 1 });

export function Chart({ title, labels, series, bars, height = 220 }: Props) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = holder.current;
    if (!element || labels.length === 0) return undefined;
    const xs = labels.map((_, i) => i);
    const barPaths = bars ? uPlot.paths.bars?.({ size: [0.6 / Math.max(1, series.length), 64] }) : undefined;
    const plot = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height,
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [
          { values: (_u, ticks) => ticks.map((t) => labels[t] ?? ""), stroke: "#1b1f24" },
          {
            stroke: "#1b1f24",
            values: (_u, ticks) => ticks.map((t) => format(t, series[0]?.percent)),
          },
        ],
        legend: { live: true },
        series: [
          { label: "", value: (_u, v) => labels[v] ?? "" },
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            fill: bars ? s.color : undefined,
            width: 2,
            ...(barPaths ? { paths: barPaths } : {}),
            value: (_u: uPlot, v: number | null) => format(v, s.percent),
          })),
        ],
      },
      [xs, ...series.map((s) => s.values)],
      element,
    );
    const resize = () => plot.setSize({ width: Math.max(280, element.clientWidth), height });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      plot.destroy();
    };
  }, [labels, series, bars, height]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={holder} aria-hidden="true" />
      <details>
        <summary>Angka dalam tabel</summary>
        <table class="queue">
          <caption class="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col"> </th>
              {series.map((s) => (
                <th scope="col" key={s.label}>
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {labels.map((label, i) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                {series.map((s) => (
                  <td key={s.label}>{format(s.values[i], s.percent)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
