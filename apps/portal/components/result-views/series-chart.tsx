"use client";

import { useEffect, useRef } from "react";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { probeColor } from "./palette";
import type { SeriesPoint } from "./result-store";
import styles from "./series-chart.module.css";

export interface ChartSeries {
  label: string;
  points: SeriesPoint[];
}

/** Redraws at most this often: results may arrive hundreds a second. */
const REDRAW_MS = 250;

/** uPlot wants one x axis shared by all series: the union of times, gaps where a series has none. */
function alignedData(series: ChartSeries[]): uPlot.AlignedData {
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b);
  const column = new Map(times.map((t, i) => [t, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array<number | null>(times.length).fill(null);
    for (const p of s.points) y[column.get(p.t) ?? 0] = p.v;
    return y;
  });
  return [times, ...ys];
}

/** One line per series over time (uPlot on a canvas), with its legend as a list. */
export function SeriesChart({ series, unit, caption }: { series: ChartSeries[]; unit: string; caption: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(series);
  const labels = series.map((s) => s.label).join("\n");
  latest.current = series;

  // A new set of series (a probe appeared) builds a new plot; new points only update its data.
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    let disposed = false;
    let observer: ResizeObserver | undefined;
    void import("uplot").then(({ default: UPlot }) => {
      if (disposed) return;
      const width = Math.max(element.clientWidth, 200);
      // The canvas cannot use CSS variables: take the theme's text and border colours as computed.
      const style = getComputedStyle(element);
      const text = style.color;
      const grid = { stroke: style.getPropertyValue("--border").trim() || "rgba(128,128,128,0.3)", width: 1 };
      const options: uPlot.Options = {
        width,
        height: 220,
        legend: { show: false },
        scales: { x: { time: true } },
        axes: [
          { stroke: text, grid, ticks: grid },
          { stroke: text, grid, ticks: grid, label: unit, size: 60 },
        ],
        series: [{}, ...latest.current.map((s, i) => ({ label: s.label, stroke: probeColor(i), width: 1.5, spanGaps: true, points: { size: 4 } }))],
      };
      plot.current = new UPlot(options, alignedData(latest.current), element);
      observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(element.clientWidth, 200), height: 220 }));
      observer.observe(element);
    });
    return () => {
      disposed = true;
      observer?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [labels, unit]);

  useEffect(() => {
    const timer = setInterval(() => plot.current?.setData(alignedData(latest.current)), REDRAW_MS);
    return () => clearInterval(timer);
  }, []);

  return (
    <figure className={styles.figure}>
      <div ref={box} className={styles.plot} role="img" aria-label={`${caption}: one line per probe`} />
      <ul className={styles.legend} aria-label="Lines">
        {series.map((s, i) => (
          <li key={s.label}>
            <span className={styles.swatch} style={{ background: probeColor(i) }} aria-hidden="true" />
            {s.label}
          </li>
        ))}
      </ul>
      <figcaption className={styles.caption}>{caption}</figcaption>
    </figure>
  );
}
