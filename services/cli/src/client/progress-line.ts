/** How `trainyard jobs watch` shows a running job: one line redrawn in place on a terminal. */
import type { JobProgress } from '@trainyard/client';

/** A job's progress, with the latest batch's loss and accuracy when an event carries them. */
export type ProgressState = JobProgress & { loss?: number; accuracy?: number };

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.round((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** e.g. "[########------------] 40% epoch 2/5 step 30/100 loss 0.512 acc 81.2% 2,800 img/s ETA 12s" */
export function progressLine(state: ProgressState, width = 20): string {
  const within = state.steps > 0 ? state.step / state.steps : 0;
  const fraction = state.epochs > 0 ? Math.min(1, Math.max(0, (state.epoch - 1 + within) / state.epochs)) : 0;
  const filled = Math.round(fraction * width);
  const parts = [
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`,
    `${String(Math.floor(fraction * 100)).padStart(3)}%`,
    `epoch ${state.epoch}/${state.epochs}`,
    `step ${state.step}/${state.steps}`,
  ];
  if (state.loss !== undefined) parts.push(`loss ${state.loss.toFixed(3)}`);
  if (state.accuracy !== undefined) parts.push(`acc ${(state.accuracy * 100).toFixed(1)}%`);
  if (state.imagesPerSecond !== null) parts.push(`${Math.round(state.imagesPerSecond).toLocaleString('en-US')} img/s`);
  if (state.etaSeconds !== null) parts.push(`ETA ${duration(state.etaSeconds)}`);
  return parts.join(' ');
}

/** One finished epoch as a line of its own. */
export function epochLine(epoch: Record<string, unknown>): string {
  const pct = (value: unknown) => (typeof value === 'number' ? `${(value * 100).toFixed(1)}%` : '–');
  const num = (value: unknown) => (typeof value === 'number' ? value.toFixed(4) : '–');
  const validation =
    typeof epoch.validationLoss === 'number' ? `validation loss ${num(epoch.validationLoss)} acc ${pct(epoch.validationAccuracy)}, ` : '';
  return (
    `epoch ${epoch.epoch}: train loss ${num(epoch.trainLoss)} acc ${pct(epoch.trainAccuracy)}, ${validation}` +
    `lr ${Number(epoch.learningRate).toExponential(2)}, ${Number(epoch.seconds).toFixed(1)} s`
  );
}
