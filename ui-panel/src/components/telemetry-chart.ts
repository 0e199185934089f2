// One telemetry series of a room's control PC as a line chart. uPlot draws it on a canvas (about 20 KiB gzip, fast
// with thousands of points; see the README for why): the chart is a picture with a text label for screen readers,
// and times on its axis are Vietnam's.
import { html } from "lit";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { messages } from "../i18n/index.ts";
import { formatDateTime, formatHourMinute, TIME_ZONE } from "../time.ts";
import { LightElement } from "./light-element.ts";

const HEIGHT = 170;
const AXIS = { stroke: "#c9d3dd", grid: { stroke: "#3b4a59", width: 1 }, ticks: { stroke: "#3b4a59" } };

export class TelemetryChart extends LightElement {
  /** What is drawn, already in words (the catalogue's). */
  what = "";
  /** Sample times (seconds since 1970) and values, oldest first; null where a sample had none. */
  times: number[] = [];
  values: (number | null)[] = [];
  private plot: uPlot | undefined;

  override disconnectedCallback(): void {
    this.plot?.destroy();
    this.plot = undefined;
    super.disconnectedCallback();
  }

  protected override render() {
    const m = messages().board;
    const n = this.times.length;
    const label =
      n === 0
        ? this.what
        : m.chartLabel({
            what: this.what,
            n,
            from: formatDateTime(new Date(this.times[0]! * 1000).toISOString()),
            to: formatDateTime(new Date(this.times[n - 1]! * 1000).toISOString()),
          });
    return html`<figure class="chart" role="img" aria-label=${label}>
      <figcaption>${this.what}</figcaption>
      <div class="plot"></div>
    </figure>`;
  }

  protected override updated(): void {
    const data: uPlot.AlignedData = [this.times, this.values];
    if (this.plot) {
      this.plot.setData(data);
      return;
    }
    const target = this.querySelector<HTMLElement>(".plot")!;
    this.plot = new uPlot(
      {
        width: Math.max(240, target.clientWidth || 360),
        height: HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), TIME_ZONE),
        // Times as Vietnam reads them (uPlot's own labels are American: month first, am/pm).
        axes: [
          { ...AXIS, values: (_plot, splits) => splits.map(formatHourMinute) },
          { ...AXIS, size: 50 },
        ],
        series: [{}, { stroke: "#5cb8ff", width: 2, fill: "rgba(92, 184, 255, 0.15)", spanGaps: true }],
      },
      data,
      target,
    );
  }
}
customElements.define("rc-telemetry-chart", TelemetryChart);
