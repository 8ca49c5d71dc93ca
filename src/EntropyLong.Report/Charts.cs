using ScottPlot;

namespace EntropyLong.Report;

/// <summary>One chart: drawn once with ScottPlot, saved as PNG and embedded in the page as SVG.</summary>
public sealed record Chart(string Name, string Title, string Caption, Plot? Plot, string? Missing);

/// <summary>The report's six charts from <see cref="ReportData"/>.</summary>
public static class Charts
{
    public const int Width = 640, Height = 400;
    private static readonly Color Grey = Color.FromHex("#9aa5b1"), Accent = Color.FromHex("#d9480f"), Blue = Color.FromHex("#1c7ed6");

    public static IReadOnlyList<Chart> Make(ReportData data)
    {
        const string noDetails = "needs details.jsonl: the build ran with --no-details";
        return
        [
            data.HasDetails ? new("entropy", "Entropy distribution", "Predictive entropy of every scored token, and of the anchors (each as a share of its own count).", Entropy(data), null)
                : new("entropy", "Entropy distribution", "", null, noDetails),
            data.HasDetails ? new("anchors_per_document", "Anchors per document", "Documents by their number of anchors (H > tau).", AnchorsPerDocument(data), null)
                : new("anchors_per_document", "Anchors per document", "", null, noDetails),
            new("delta", "dI of judged and verified chunks", data.HasDetails
                ? "dI = (H - H')/H of every judged (anchor, candidate) pair, and of the kept ones; the line is epsilon. Values below -1 are counted at -1."
                : "dI of the verified chunks placed in the sequences; the line is epsilon.", Delta(data), null),
            data.HasDetails ? new("candidates", "Candidates judged vs kept", "Per document: candidates judged and candidates kept (marker area grows with the number of documents).", JudgedVsKept(data), null)
                : new("candidates", "Candidates judged vs kept", "", null, noDetails),
            data.SequenceLengths.Count > 0 ? new("sequence_lengths", "Sequence lengths", "Packed sequences by length in training tokens; the line is the target length.", SequenceLengths(data), null)
                : new("sequence_lengths", "Sequence lengths", "", null, "the build wrote no sequence"),
            data.Distances.Count > 0 ? new("distance", "Context-to-anchor distance", "Tokens from the end of each verified context to its anchor in the final sequences.", Distance(data), null)
                : new("distance", "Context-to-anchor distance", "", null, "no verified context carries token positions (sequences.jsonl without anchor_token)"),
        ];
    }

    private static Plot New(string x, string y)
    {
        var plot = new Plot();
        plot.XLabel(x);
        plot.YLabel(y);
        return plot;
    }

    private static void AddHistogram(Plot plot, Histogram h, Color color, string label, bool share = false)
    {
        var bars = new List<Bar>();
        for (int i = 0; i < h.Counts.Length; i++)
        {
            if (h.Counts[i] == 0) continue;
            double value = share ? (double)h.Counts[i] / h.Total : h.Counts[i];
            bars.Add(new Bar { Position = h.Min + (i + 0.5) * h.Width, Value = value, Size = h.Width * 0.95, FillColor = color, LineWidth = 0 });
        }
        var plottable = plot.Add.Bars(bars);
        plottable.LegendText = label;
    }

    /// <summary>A fine histogram in the bins of <paramref name="like"/> (which was trimmed from one with the same fine bins).</summary>
    private static Histogram Rebin(Histogram fine, Histogram like)
    {
        var h = new Histogram(like.Min, like.Max, like.Counts.Length);
        for (int i = 0; i < fine.Counts.Length; i++)
            if (fine.Counts[i] > 0)
            {
                double x = fine.Min + (i + 0.5) * fine.Width;
                int bin = Math.Clamp((int)Math.Floor((x - h.Min) / h.Width), 0, h.Counts.Length - 1);
                h.Counts[bin] += fine.Counts[i];
            }
        h.SetTotal(fine.Total);
        return h;
    }

    private static Plot Entropy(ReportData data)
    {
        var plot = New("entropy (nats)", "share of tokens");
        // One bin width for both series: the trimmed range of all tokens covers the anchors'.
        var all = data.TokenEntropy.Trim(60);
        AddHistogram(plot, all, Grey.WithAlpha(0.8), "all tokens", share: true);
        AddHistogram(plot, Rebin(data.AnchorEntropy, all), Accent.WithAlpha(0.7), "anchors", share: true);
        plot.ShowLegend(Alignment.UpperRight);
        plot.Axes.Margins(bottom: 0);
        return plot;
    }

    private static Plot AnchorsPerDocument(ReportData data)
    {
        var plot = New("anchors in the document", "documents");
        // Bins centred on whole numbers while there are few of them.
        int max = data.AnchorsPerDocument.Count == 0 ? 1 : data.AnchorsPerDocument.Keys.Max() + 1;
        var h = new Histogram(-0.5, max - 0.5, Math.Min(max, 60));
        foreach (var (n, count) in data.AnchorsPerDocument)
            for (long i = 0; i < count; i++) h.Add(n);
        AddHistogram(plot, h, Blue, "documents");
        plot.Axes.Margins(bottom: 0);
        return plot;
    }

    private static Plot Delta(ReportData data)
    {
        var plot = New("dI = (H - H') / H", "candidates");
        var judged = (data.HasDetails ? data.JudgedDelta : data.KeptDelta).Trim(60);
        if (data.HasDetails) AddHistogram(plot, judged, Grey.WithAlpha(0.8), "judged");
        AddHistogram(plot, Rebin(data.KeptDelta, judged), Accent, data.HasDetails ? "kept" : "verified");
        if (!double.IsNaN(data.Epsilon))
        {
            var line = plot.Add.VerticalLine(data.Epsilon);
            line.Color = Colors.Black;
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = $"epsilon {data.Epsilon:G4}";
        }
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Margins(bottom: 0);
        return plot;
    }

    private static Plot JudgedVsKept(ReportData data)
    {
        var plot = New("candidates judged", "candidates kept");
        long most = data.JudgedVsKept.Count == 0 ? 1 : data.JudgedVsKept.Values.Max();
        foreach (var ((judged, kept), count) in data.JudgedVsKept)
        {
            var m = plot.Add.Marker(judged, kept);
            m.Size = (float)(5 + 20 * Math.Sqrt((double)count / most));
            m.Color = Blue.WithAlpha(0.6);
            m.MarkerShape = MarkerShape.FilledCircle;
        }
        double top = data.JudgedVsKept.Count == 0 ? 1 : data.JudgedVsKept.Keys.Max(k => k.Judged);
        var diagonal = plot.Add.Line(0, 0, top, top);
        diagonal.Color = Grey;
        diagonal.LinePattern = LinePattern.Dotted;
        diagonal.LegendText = "all kept";
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    private static Plot SequenceLengths(ReportData data)
    {
        var plot = New("tokens in the sequence", "sequences");
        int max = Math.Max(data.SeqLen, data.SequenceLengths.Count == 0 ? 1 : data.SequenceLengths.Max());
        var h = new Histogram(0, max + 1, 50);
        foreach (int n in data.SequenceLengths) h.Add(n);
        AddHistogram(plot, h, Blue, "sequences");
        if (data.SeqLen > 0)
        {
            var line = plot.Add.VerticalLine(data.SeqLen);
            line.Color = Colors.Black;
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = $"seq_len {data.SeqLen:N0}";
            plot.ShowLegend(Alignment.UpperLeft);
        }
        plot.Axes.Margins(bottom: 0);
        return plot;
    }

    private static Plot Distance(ReportData data)
    {
        var plot = New("tokens from the end of the context to its anchor", "verified contexts");
        var h = new Histogram(0, data.Distances.Max() + 1, 50);
        foreach (int d in data.Distances) h.Add(d);
        AddHistogram(plot, h, Accent, "contexts");
        plot.Axes.Margins(bottom: 0);
        return plot;
    }
}
