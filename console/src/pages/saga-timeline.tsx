import { memo, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { duration, formatTime } from '../format';
import type { SagaStep, SagaView } from './saga-types';

const LABEL_WIDTH = 180;
const ROW = 28;
const AXIS = 26;
const MIN_BAR = 2;

const ATTEMPT_CLASSES = ['succeeded', 'failed', 'retrying', 'running', 'waiting'] as const;
const COMPENSATION_CLASSES = ['compensated', 'noop', 'failed'] as const;

/** The moment an attempt ended, or "now" (the saga's last update when it has finished) while it runs. */
function endOf(endedAt: string | null, fallback: number): number {
  return endedAt ? Date.parse(endedAt) : fallback;
}

export function isFailure(outcome: string): boolean {
  return outcome === 'failed' || outcome === 'retrying';
}

interface Props {
  readonly saga: SagaView;
  readonly failuresOnly: boolean;
}

/**
 * The saga on a time axis: one row per step, its attempts as bars (retries are the bars after
 * the first), waits as a stripe over the attempt that waited, compensations as marks under them.
 * Drawn as one SVG with one <path> per kind of bar, so 10,000 attempts are a handful of DOM nodes
 * and the browser lays out nothing per attempt; the step list below it carries the details.
 */
export const SagaTimeline = memo(function SagaTimeline({ saga, failuresOnly }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(960);
  useLayoutEffect(() => {
    const element = box.current;
    if (!element) return;
    setWidth(Math.max(480, element.clientWidth));
    const observer = new ResizeObserver(([entry]) => entry && setWidth(Math.max(480, Math.floor(entry.contentRect.width))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const finished = saga.finishedAt ? Date.parse(saga.finishedAt) : null;
  const now = finished ?? Math.max(Date.now(), Date.parse(saga.updatedAt));
  const start = Date.parse(saga.startedAt);
  const steps = failuresOnly ? saga.steps.filter(stepHasFailure) : saga.steps;

  let end = Math.max(now, start + 1);
  for (const step of steps) {
    for (const a of step.attemptHistory) end = Math.max(end, endOf(a.endedAt, now));
    for (const c of step.compensationHistory) end = Math.max(end, Date.parse(c.at));
  }
  const span = end - start;
  const plot = width - LABEL_WIDTH - 16;
  const x = (t: number) => LABEL_WIDTH + ((t - start) / span) * plot;
  const height = AXIS + Math.max(1, steps.length) * ROW + 8;

  const attempts: Record<string, string[]> = Object.fromEntries(ATTEMPT_CLASSES.map((c) => [c, []]));
  const waits: string[] = [];
  const compensations: Record<string, string[]> = Object.fromEntries(COMPENSATION_CLASSES.map((c) => [c, []]));
  steps.forEach((step, row) => {
    const top = AXIS + row * ROW;
    for (const a of step.attemptHistory) {
      if (failuresOnly && !isFailure(a.outcome)) continue;
      const x0 = x(Date.parse(a.startedAt));
      const w = Math.max(MIN_BAR, x(endOf(a.endedAt, now)) - x0);
      (attempts[a.outcome] ?? attempts.running!).push(`M${x0.toFixed(1)} ${top + 5}h${w.toFixed(1)}v12h${(-w).toFixed(1)}z`);
      if (a.waits > 0) waits.push(`M${x0.toFixed(1)} ${top + 3}h${w.toFixed(1)}v2h${(-w).toFixed(1)}z`);
    }
    for (const c of step.compensationHistory) {
      if (failuresOnly && c.outcome !== 'failed') continue;
      const cx = x(Date.parse(c.at));
      (compensations[c.outcome] ?? compensations.failed!).push(`M${cx.toFixed(1)} ${top + 19}l4 4l-4 4l-4 -4z`);
    }
  });

  const ticks = 6;
  const axis = Array.from({ length: ticks + 1 }, (_, i) => start + (span * i) / ticks);

  // the bench waits for this: set once the chart for this saga is in the document
  useEffect(() => {
    box.current?.setAttribute('data-rendered', 'true');
  });

  const totalAttempts = saga.steps.reduce((n, s) => n + s.attemptHistory.length, 0);
  return (
    <div className="timeline" ref={box} data-testid="saga-timeline">
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`Timeline of ${steps.length} steps and ${totalAttempts} attempts from ${formatTime(saga.startedAt)}, spanning ${duration(span)}`}
      >
        <g className="axis">
          {axis.map((t, i) => (
            <g key={i}>
              <line x1={x(t)} x2={x(t)} y1={AXIS - 4} y2={height - 4} />
              <text x={x(t)} y={14} textAnchor={i === 0 ? 'start' : i === ticks ? 'end' : 'middle'}>
                +{duration(t - start)}
              </text>
            </g>
          ))}
        </g>
        {steps.map((step, row) => (
          <g key={step.index} className="row">
            {row % 2 === 0 && <rect className="stripe" x={0} y={AXIS + row * ROW} width={width} height={ROW} />}
            <text className="label" x={8} y={AXIS + row * ROW + 18}>
              {truncate(step.name, 20)}
              {step.attemptHistory.length > 1 ? ` ×${step.attemptHistory.length}` : ''}
            </text>
          </g>
        ))}
        {ATTEMPT_CLASSES.map((c) => (attempts[c]!.length ? <path key={c} className={`bar bar-${c}`} d={attempts[c]!.join('')} /> : null))}
        {waits.length ? <path className="bar bar-wait" d={waits.join('')} /> : null}
        {COMPENSATION_CLASSES.map((c) => (compensations[c]!.length ? <path key={c} className={`mark mark-${c}`} d={compensations[c]!.join('')} /> : null))}
        {steps.length === 0 && (
          <text x={LABEL_WIDTH} y={AXIS + 18} className="label">
            {failuresOnly ? 'No failures.' : 'No step has started.'}
          </text>
        )}
      </svg>
      <ul className="legend" aria-label="Legend">
        <li>
          <span className="swatch bar-succeeded" aria-hidden="true" /> succeeded
        </li>
        <li>
          <span className="swatch bar-retrying" aria-hidden="true" /> failed, retried
        </li>
        <li>
          <span className="swatch bar-failed" aria-hidden="true" /> failed
        </li>
        <li>
          <span className="swatch bar-running" aria-hidden="true" /> running
        </li>
        <li>
          <span className="swatch bar-wait" aria-hidden="true" /> waited
        </li>
        <li>
          <span className="swatch mark-compensated" aria-hidden="true" /> compensated
        </li>
        <li>
          <span className="swatch mark-failed" aria-hidden="true" /> compensation failed
        </li>
      </ul>
    </div>
  );
});

export function stepHasFailure(step: SagaStep): boolean {
  return step.attemptHistory.some((a) => isFailure(a.outcome)) || step.compensationHistory.some((c) => c.outcome === 'failed');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
