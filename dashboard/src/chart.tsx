// A small hand-drawn SVG chart of daily counts (a few hundred bytes instead of a charting library): one line
// per series, a light grid, the first and last day on the axis, and the numbers as a table for screen readers.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { OverviewDay } from '../../wire.ts';

const H = 200;
const PAD = { top: 12, right: 12, bottom: 24, left: 32 };

interface Series {
  key: 'leads' | 'customers';
  label: string;
  className: string;
}
const SERIES: Series[] = [
  { key: 'leads', label: 'New leads', className: 'series-leads' },
  { key: 'customers', label: 'New customers', className: 'series-customers' },
];

/** A round top for the y axis (2, 5, 10, 20, 50…), so the half-way grid line is a whole number or close. */
export function niceMax(n: number): number {
  if (n <= 2) return 2;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

const shortDay = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, {
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  });

export function DailyChart({ days }: { days: OverviewDay[] }) {
  // Drawn at the box's own pixel width, so text and strokes keep their size on a phone.
  const box = useRef<HTMLDivElement>(null);
  const [W, setW] = useState(640);
  useEffect(() => {
    const el = box.current!;
    const observer = new ResizeObserver(() => setW(Math.max(240, Math.round(el.clientWidth))));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const max = niceMax(Math.max(0, ...days.map((d) => Math.max(d.leads, d.customers))));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (days.length > 1 ? (i / (days.length - 1)) * innerW : innerW / 2);
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const totals = SERIES.map((s) => days.reduce((n, d) => n + d[s.key], 0));
  const summary = `${SERIES.map((s, i) => `${s.label}: ${totals[i]}`).join(', ')}, from ${days[0] ? shortDay(days[0].day) : ''} to ${days.length ? shortDay(days[days.length - 1].day) : ''}`;
  return (
    <figure class="chart">
      <div class="chart-legend" aria-hidden="true">
        {SERIES.map((s, i) => (
          <span key={s.key} class={s.className}>
            <span class="swatch" /> {s.label} <strong>{totals[i]}</strong>
          </span>
        ))}
      </div>
      <div ref={box} class="chart-box">
        <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
          {[0, 0.5, 1].map((f) => (
            <g key={f} class="grid">
              <line x1={PAD.left} x2={W - PAD.right} y1={y(max * f)} y2={y(max * f)} />
              <text x={PAD.left - 6} y={y(max * f) + 4} text-anchor="end">
                {Math.round(max * f)}
              </text>
            </g>
          ))}
          {SERIES.map((s) => (
            <g key={s.key} class={s.className}>
              <polyline points={days.map((d, i) => `${x(i)},${y(d[s.key])}`).join(' ')} />
              {days.length <= 45
                ? days.map((d, i) =>
                    d[s.key] ? <circle key={d.day} cx={x(i)} cy={y(d[s.key])} r="3" /> : null,
                  )
                : null}
            </g>
          ))}
          {days.length ? (
            <g class="axis">
              <text x={PAD.left} y={H - 6} text-anchor="start">
                {shortDay(days[0].day)}
              </text>
              <text x={W - PAD.right} y={H - 6} text-anchor="end">
                {shortDay(days[days.length - 1].day)}
              </text>
            </g>
          ) : null}
        </svg>
      </div>
      <details class="chart-table">
        <summary>Show as a table</summary>
        <table class="data">
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col" class="num">
                New leads
              </th>
              <th scope="col" class="num">
                New customers
              </th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day}>
                <th scope="row">{shortDay(d.day)}</th>
                <td class="num">{d.leads}</td>
                <td class="num">{d.customers}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
