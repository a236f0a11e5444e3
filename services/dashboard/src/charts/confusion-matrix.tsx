/**
 * The confusion matrix as a heat map: rows are true classes, columns predicted ones; each cell's
 * colour is its share of the row (so classes with few examples read as clearly as big ones).
 */
import { h } from '../dom/h.js';

export function ConfusionMatrix(props: { matrix: number[][]; classNames: string[] }): Element {
  const { matrix, classNames } = props;
  const short = (name: string) => (name.length > 10 ? `${name.slice(0, 9)}…` : name);
  return (
    <div class="heatmap-wrap">
      <table class="heatmap" aria-label="Confusion matrix">
        <thead>
          <tr>
            <th class="corner">true \ predicted</th>
            {classNames.map((name) => (
              <th class="col-head" title={name}>
                <span>{short(name)}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.map((row, i) => {
            const total = row.reduce((a, b) => a + b, 0) || 1;
            return (
              <tr>
                <th title={classNames[i]}>{short(classNames[i] ?? String(i))}</th>
                {row.map((count, j) => {
                  const share = count / total;
                  const hue = i === j ? 150 : 8;
                  const style = {
                    background: count === 0 ? '#fafafa' : `hsl(${hue} 70% ${Math.round(96 - share * 56)}%)`,
                    color: share > 0.6 ? '#fff' : '#222',
                  };
                  return (
                    <td style={style} title={`true ${classNames[i]}, predicted ${classNames[j]}: ${count}`}>
                      {count}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
