/**
 * Small SVG charts, no chart library: a donut with a legend of buttons (keyboard reachable, each
 * slice also a row in the legend), horizontal bars, and the period's cumulative spend against the
 * budget line. Every chart has a text alternative.
 */
import type { JSX } from 'preact';

/** Distinct, colour-blind-friendlier hues (Okabe-Ito, then greys). */
export const palette = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#7f7f7f',
  '#b0b0b0',
];

export interface Slice {
  key: string;
  label: string;
  value: number;
  display: string;
}

function arc(cx: number, cy: number, r: number, start: number, end: number): string {
  const x1 = cx + r * Math.sin(start);
  const y1 = cy - r * Math.cos(start);
  const x2 = cx + r * Math.sin(end);
  const y2 = cy - r * Math.cos(end);
  const large = end - start > Math.PI ? 1 : 0;
  return `M ${x1} ${y1} A ${r} ${r} 0 ${large} 1 ${x2} ${y2}`;
}

export function Donut(props: {
  slices: Slice[];
  title: string;
  center: string;
  onSelect?: (key: string) => void;
  selected?: string;
}): JSX.Element {
  const total = props.slices.reduce((sum, s) => sum + s.value, 0);
  let angle = 0;
  const size = 180;
  const r = 70;
  return (
    <div class="donut">
      <svg
        viewBox={`0 0 ${size} ${size}`}
        width={size}
        height={size}
        role="img"
        aria-label={`${props.title}: ${props.slices.map((s) => `${s.label} ${s.display}`).join(', ')}`}
      >
        <circle cx={size / 2} cy={size / 2} r={r} fill="none" stroke="#e6e8eb" stroke-width="26" />
        {total > 0 &&
          props.slices.map((slice, i) => {
            const start = angle;
            const sweep = (slice.value / total) * Math.PI * 2;
            angle += sweep;
            const path =
              sweep >= Math.PI * 2 - 1e-6
                ? null
                : arc(size / 2, size / 2, r, start, start + Math.max(sweep - 0.01, 0.001));
            const color = palette[i % palette.length];
            return path === null ? (
              <circle
                key={slice.key}
                cx={size / 2}
                cy={size / 2}
                r={r}
                fill="none"
                stroke={color}
                stroke-width="26"
              />
            ) : (
              <path
                key={slice.key}
                d={path}
                fill="none"
                stroke={color}
                stroke-width={props.selected === slice.key ? 32 : 26}
                onClick={() => props.onSelect?.(slice.key)}
              />
            );
          })}
        <text x="50%" y="50%" text-anchor="middle" dominant-baseline="middle" class="donut-center">
          {props.center}
        </text>
      </svg>
      <ul class="legend">
        {props.slices.map((slice, i) => (
          <li key={slice.key}>
            <button
              type="button"
              class={props.selected === slice.key ? 'legend-item selected' : 'legend-item'}
              aria-pressed={props.selected === slice.key}
              onClick={() => props.onSelect?.(slice.key)}
              data-category={slice.key}
            >
              <span class="swatch" style={{ background: palette[i % palette.length] }} />
              <span class="legend-label">{slice.label}</span>
              <span class="legend-value">{slice.display}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function Bars(props: {
  items: { key: string; label: string; value: number; display: string }[];
  title: string;
  color?: string;
}): JSX.Element {
  const max = Math.max(1, ...props.items.map((i) => i.value));
  return (
    <ul class="bars" aria-label={props.title}>
      {props.items.map((item) => (
        <li key={item.key} class="bar-row">
          <span class="bar-label">{item.label}</span>
          <span class="bar-track" aria-hidden="true">
            <span
              class="bar-fill"
              style={{
                width: `${(item.value / max) * 100}%`,
                background: props.color ?? palette[0],
              }}
            />
          </span>
          <span class="bar-value">{item.display}</span>
        </li>
      ))}
    </ul>
  );
}

/**
 * Daily spend as bars, the running total as a line, and the budget as a straight line from zero
 * to the limit at the period's end (where spending at an even pace would be).
 */
export function SpendChart(props: {
  days: { date: string; spend: number }[];
  budget?: number;
  format: (value: number) => string;
  dayLabel: (date: string) => string;
  /** The running total stops here (today): the days after it have not happened. */
  until?: string;
}): JSX.Element {
  const width = 960;
  const height = 260;
  const pad = { left: 8, right: 8, top: 12, bottom: 22 };
  const n = Math.max(props.days.length, 1);
  const cumulative: number[] = [];
  props.days.reduce((sum, d, i) => (cumulative[i] = sum + d.spend), 0);
  const total = cumulative[cumulative.length - 1] ?? 0;
  const max = Math.max(1, total, props.budget ?? 0);
  const dailyMax = Math.max(1, ...props.days.map((d) => d.spend));
  const x = (i: number) => pad.left + ((i + 0.5) / n) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom);
  const barHeight = (v: number) => (v / dailyMax) * (height - pad.top - pad.bottom) * 0.45;
  const barWidth = Math.max(2, ((width - pad.left - pad.right) / n) * 0.6);
  const line = cumulative
    .filter((_, i) => props.until === undefined || props.days[i]!.date <= props.until)
    .map((v, i) => `${i === 0 ? 'M' : 'L'} ${x(i)} ${y(v)}`)
    .join(' ');
  const summary =
    `Spent ${props.format(total)} over ${props.days.length} days` +
    (props.budget !== undefined ? ` against a budget of ${props.format(props.budget)}` : '');
  return (
    <figure class="spend-chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary}>
        {props.days.map((d, i) => (
          <rect
            key={d.date}
            x={x(i) - barWidth / 2}
            y={height - pad.bottom - barHeight(d.spend)}
            width={barWidth}
            height={barHeight(d.spend)}
            class="day-bar"
          >
            <title>{`${props.dayLabel(d.date)}: ${props.format(d.spend)}`}</title>
          </rect>
        ))}
        {props.budget !== undefined && (
          <line
            x1={pad.left}
            y1={y(0)}
            x2={width - pad.right}
            y2={y(props.budget)}
            class="budget-line"
          />
        )}
        <path d={line} class="cumulative-line" fill="none" />
        {props.days.length > 0 && (
          <>
            <text x={pad.left} y={height - 6} class="axis-label">
              {props.dayLabel(props.days[0]!.date)}
            </text>
            <text x={width - pad.right} y={height - 6} text-anchor="end" class="axis-label">
              {props.dayLabel(props.days[props.days.length - 1]!.date)}
            </text>
          </>
        )}
      </svg>
      <figcaption>
        <span class="key key-bars">daily spend</span>
        <span class="key key-line">running total</span>
        {props.budget !== undefined && <span class="key key-budget">budget pace</span>}
      </figcaption>
    </figure>
  );
}

/** A progress bar with a marker for the projected end-of-period value. */
export function Progress(props: {
  value: number;
  max: number;
  projected?: number;
  label: string;
}): JSX.Element {
  const pct = props.max > 0 ? Math.min(100, (props.value / props.max) * 100) : 0;
  const projectedPct =
    props.projected !== undefined && props.max > 0
      ? Math.min(100, (props.projected / props.max) * 100)
      : undefined;
  const level = pct >= 100 ? 'over' : pct >= 80 ? 'warn' : 'ok';
  return (
    <div
      class={`progress ${level}`}
      role="progressbar"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(pct)}
    >
      <span class="progress-fill" style={{ width: `${pct}%` }} />
      {projectedPct !== undefined && (
        <span class="progress-projected" style={{ left: `${projectedPct}%` }} title="projected" />
      )}
    </div>
  );
}
