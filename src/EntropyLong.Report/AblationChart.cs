using EntropyLong.Data;
using EntropyLong.Eval.Ablation;
using ScottPlot;

namespace EntropyLong.Report;

/// <summary>The ablation's chart: RULER log-likelihood accuracy per task (at the longest length), one bar per arm with its
/// 95% interval over seeds, and chance as a line.</summary>
public static class AblationChart
{
    private static readonly string[] Palette = ["#9aa5b1", "#d9480f", "#1c7ed6", "#2b8a3e", "#ae3ec9", "#f08c00"];

    public static void Write(string path, IReadOnlyList<AblationCell> cells, IReadOnlyList<string> arms, double chance = 20)
    {
        int length = cells.Where(c => c.Task != AblationTable.HeldOutLoss).Select(c => c.Length).DefaultIfEmpty(0).Max();
        var tasks = cells.Where(c => c.Length == length && c.Task != AblationTable.HeldOutLoss).Select(c => c.Task).Distinct().ToList();
        var plot = new Plot();
        plot.Title($"RULER by log-likelihood at {length} tokens");
        plot.YLabel("accuracy (%)");
        double width = 0.8 / Math.Max(1, arms.Count);
        for (int a = 0; a < arms.Count; a++)
        {
            var bars = new List<Bar>();
            for (int t = 0; t < tasks.Count; t++)
            {
                if (cells.FirstOrDefault(c => c.Arm == arms[a] && c.Task == tasks[t] && c.Length == length) is not { } cell) continue;
                bars.Add(new Bar
                {
                    Position = t + (a - (arms.Count - 1) / 2.0) * width, Value = cell.Mean, Size = width * 0.9,
                    // The line width draws the interval's whiskers too (and the bar's outline).
                    Error = double.IsNaN(cell.HalfWidth95) ? 0 : cell.HalfWidth95, ErrorSize = 0.5f,
                    FillColor = Color.FromHex(Palette[a % Palette.Length]), LineWidth = 1.5f, LineColor = Color.FromHex("#343a40"),
                });
            }
            plot.Add.Bars(bars).LegendText = arms[a];
        }
        plot.Add.HorizontalLine(chance, 1, Color.FromHex("#495057"), LinePattern.Dashed).LegendText = "chance";
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, tasks.Count).Select(i => (double)i).ToArray(), tasks.ToArray());
        // Task names are longer than a group of bars is wide: slanted, they do not run into each other.
        plot.Axes.Bottom.TickLabelStyle.Rotation = 30;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 90;
        // Accuracy is a share: the axis stays 0-100 however wide an interval over two seeds is; the legend sits outside
        // the bars.
        plot.Axes.SetLimitsY(0, 100);
        plot.ShowLegend(Edge.Right);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(Charts.Width, Charts.Height, ImageFormat.Png));
    }
}
