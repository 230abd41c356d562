/**
 * A time series chart on uPlot (loaded as a classic script beside the bundle: ~50 kB, canvas, no dependencies).
 * Resizes with its box, so it fits a phone as well as a desktop.
 */
import { useEffect, useRef } from 'preact/hooks';
import type UPlot from 'uplot';

/** uPlot's IIFE build defines this global (index.html loads it before the bundle). */
declare const uPlot: typeof UPlot;

export interface Series {
  label: string;
  colour: string;
}

interface Props {
  /** x (unix seconds) first, then one array per series. */
  data: number[][];
  series: Series[];
  unit: string;
}

export function TimeChart({ data, series, unit }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<UPlot | null>(null);

  useEffect(() => {
    const el = box.current;
    if (el === null) return undefined;
    const opts: UPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 200,
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.colour,
          width: 2,
          value: (_u: UPlot, v: number | null) => (v === null ? '—' : `${v.toPrecision(4)} ${unit}`),
        })),
      ],
      axes: [
        { stroke: '#98a2b3', grid: { stroke: '#2c333d' } },
        { stroke: '#98a2b3', grid: { stroke: '#2c333d' }, size: 60 },
      ],
      scales: { x: { time: true } },
      legend: { live: false },
    };
    plot.current = new uPlot(opts, data as UPlot.AlignedData, el);
    const resize = new ResizeObserver(() =>
      plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: 200 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // The chart is rebuilt only when its series change; data updates go through setData below.
  }, [series.map((s) => s.label).join(), unit]);

  useEffect(() => {
    plot.current?.setData(data as UPlot.AlignedData);
  }, [data]);

  return <div class="chart" ref={box} />;
}
