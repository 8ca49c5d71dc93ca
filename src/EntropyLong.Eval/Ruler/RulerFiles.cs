using EntropyLong.Data;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EntropyLong.Core;

namespace EntropyLong.Eval.Ruler;

/// <summary>Reads and writes RULER sample and prediction files (JSON lines, reference layout).</summary>
public static class RulerFiles
{
    private static readonly JsonSerializerOptions Compact = EvalJson.Compact;

    public static string SampleLine(RulerSample s) => SampleObject(s).ToJsonString(Compact);

    /// <summary>A prediction line: the sample fields, <c>pred</c>, and the reference's <c>others</c>/<c>truncation</c>
    /// so its evaluate.py reads the file as is.</summary>
    public static string PredictionLine(RulerSample s, string pred)
    {
        var o = SampleObject(s);
        o["pred"] = pred;
        o["others"] = new JsonObject();
        o["truncation"] = -1;
        return o.ToJsonString(Compact);
    }

    private static JsonObject SampleObject(RulerSample s) => new()
    {
        ["index"] = s.Index,
        ["input"] = s.Input,
        ["outputs"] = new JsonArray(s.Outputs.Select(o => (JsonNode?)o).ToArray()),
        ["length"] = s.Length,
        ["answer_prefix"] = s.AnswerPrefix,
    };

    /// <summary>Writes the whole file under a temporary name first, so a crash never leaves half a sample file.</summary>
    public static void WriteSamples(string path, IEnumerable<RulerSample> samples)
    {
        using var file = new AtomicFile(path);
        using (var w = new StreamWriter(file.Stream, new UTF8Encoding(false), leaveOpen: true))
            foreach (var s in samples) w.Write(SampleLine(s) + "\n");
        file.Commit();
    }

    public static List<RulerSample> ReadSamples(string path) => Read(path, requirePred: false).Select(x => x.Sample).ToList();

    public static List<RulerPrediction> ReadPredictions(string path) =>
        Read(path, requirePred: true).Select(x => new RulerPrediction(x.Sample, x.Pred!)).ToList();

    /// <summary>Drops a last line cut short by a crash (no newline and not valid JSON), so appending can go on.</summary>
    public static void RepairTornTail(string path)
    {
        if (!File.Exists(path)) return;
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0 || bytes[^1] == (byte)'\n') return;
        int start = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        try
        {
            JsonNode.Parse(bytes.AsSpan(start));
            File.AppendAllText(path, "\n");
        }
        catch (JsonException)
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
            f.SetLength(start);
        }
    }

    private static IEnumerable<(RulerSample Sample, string? Pred)> Read(string path, bool requirePred)
    {
        if (!File.Exists(path)) throw UserInputException.FileNotFound(path, "file");
        foreach (var (lineNo, line) in EvalText.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject o;
            try
            {
                o = JsonNode.Parse(line) as JsonObject ?? throw new UserInputException($"{path}:{lineNo}: not a JSON object");
            }
            catch (JsonException ex)
            {
                throw new UserInputException($"{path}:{lineNo}: not valid JSON ({JsonErrors.Message(ex)})", ex);
            }
            string Where(string field) => $"{path}:{lineNo}: field \"{field}\"";
            int index = o["index"] is JsonValue iv && iv.TryGetValue(out int i) ? i : throw new UserInputException($"{Where("index")} missing or not an integer");
            string input = o["input"] is JsonValue inv && inv.TryGetValue(out string? s) ? s : throw new UserInputException($"{Where("input")} missing or not a string");
            // evaluate.py: line.get('outputs', [line.get('output', '')])
            List<string> outputs = o["outputs"] switch
            {
                JsonArray a => a.Select((x, k) => x is JsonValue xv && xv.TryGetValue(out string? r) ? r : throw new UserInputException($"{Where("outputs")}[{k}] is not a string")).ToList(),
                null => [o["output"] is JsonValue ov && ov.TryGetValue(out string? one) ? one : ""],
                _ => throw new UserInputException($"{Where("outputs")} is not a list"),
            };
            int length = o["length"] is JsonValue lv && lv.TryGetValue(out int l) ? l : -1;
            string prefix = o["answer_prefix"] is JsonValue pv && pv.TryGetValue(out string? p) ? p : "";
            string? pred = null;
            if (requirePred)
                pred = o["pred"] is JsonValue prv && prv.TryGetValue(out string? pr) ? pr : throw new UserInputException($"{Where("pred")} missing or not a string");
            yield return (new RulerSample(index, input, outputs, length, prefix), pred);
        }
    }
}
