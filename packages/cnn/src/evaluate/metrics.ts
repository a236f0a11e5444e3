import type { ClassMetrics } from '../types.js';

/**
 * Per-class precision, recall and F1 from a confusion matrix (rows: true class, columns: predicted).
 * A ratio with a zero denominator is 0, as scikit-learn reports it with zero_division=0.
 */
export function perClassMetrics(confusionMatrix: number[][], classNames: string[]): ClassMetrics[] {
  return classNames.map((className, c) => {
    const truePositives = confusionMatrix[c][c];
    const support = confusionMatrix[c].reduce((a, b) => a + b, 0);
    const predicted = confusionMatrix.reduce((sum, row) => sum + row[c], 0);
    const precision = ratio(truePositives, predicted);
    const recall = ratio(truePositives, support);
    const f1 = ratio(2 * precision * recall, precision + recall);
    return { className, precision, recall, f1, support };
  });
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}
