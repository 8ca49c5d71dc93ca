using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EntropyLong.Core;
using EntropyLong.Eval.Models;

namespace EntropyLong.Eval.LongBench;

/// <summary>One LongBench-v2 question in the published field layout.</summary>
public sealed record LongBenchItem(string Id, string Domain, string SubDomain, string Difficulty, string Length,
                                   string Question, string ChoiceA, string ChoiceB, string ChoiceC, string ChoiceD,
                                   string Answer, string Context);

/// <summary>The prompts of the reference (prompts/0shot.txt, 0shot_cot.txt, 0shot_cot_ans.txt), verbatim.</summary>
public static class LongBenchPrompts
{
    public const string ZeroShot = "Please read the following text and answer the question below.\n\n<text>\n$DOC$\n</text>\n\nWhat is the correct answer to this question: $Q$\nChoices:\n(A) $C_A$\n(B) $C_B$\n(C) $C_C$\n(D) $C_D$\n\nFormat your response as follows: \"The correct answer is (insert answer here)\".";

    public const string ZeroShotCot = "Please read the following text and answer the questions below.\n\n<text>\n$DOC$\n</text>\n\nWhat is the correct answer to this question: $Q$\nChoices:\n(A) $C_A$\n(B) $C_B$\n(C) $C_C$\n(D) $C_D$\n\nLet\u2019s think step by step:";

    public const string ZeroShotCotAnswer = "Please read the following text and answer the questions below.\n\nThe text is too long and omitted here.\n\nWhat is the correct answer to this question: $Q$\nChoices:\n(A) $C_A$\n(B) $C_B$\n(C) $C_C$\n(D) $C_D$\n\nLet\u2019s think step by step: $COT$\n\nBased on the above, what is the single, most likely answer choice? Format your response as follows: \"The correct answer is (insert answer here)\".";

    /// <summary>The reference's chain of replacements, in its order, each field stripped.</summary>
    public static string Fill(string template, LongBenchItem item, string? cot = null)
    {
        string s = template.Replace("$DOC$", PyCompat.Strip(item.Context))
                           .Replace("$Q$", PyCompat.Strip(item.Question))
                           .Replace("$C_A$", PyCompat.Strip(item.ChoiceA))
                           .Replace("$C_B$", PyCompat.Strip(item.ChoiceB))
                           .Replace("$C_C$", PyCompat.Strip(item.ChoiceC))
                           .Replace("$C_D$", PyCompat.Strip(item.ChoiceD));
        return cot is null ? s : s.Replace("$COT$", cot);
    }
}

public static partial class LongBenchV2
{
    /// <summary>Reads the data set from a JSON array or JSON lines file in the published layout.</summary>
    public static List<LongBenchItem> Load(string path)
    {
        if (!File.Exists(path)) throw UserInputException.FileNotFound(path, "file");
        string text = EvalText.ReadAll(path);
        var items = new List<LongBenchItem>();
        if (text.TrimStart().StartsWith('['))
        {
            JsonArray arr;
            try { arr = JsonNode.Parse(text) as JsonArray ?? throw new UserInputException($"{path}: not a JSON array"); }
            catch (JsonException ex) { throw new UserInputException($"{JsonErrors.Where(path, ex)}: not valid JSON ({JsonErrors.Message(ex)})", ex); }
            for (int i = 0; i < arr.Count; i++) items.Add(Item(arr[i], $"{path}: record {i + 1}"));
        }
        else
        {
            int lineNo = 0;
            foreach (var line in text.Split('\n'))
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                JsonNode? node;
                try { node = JsonNode.Parse(line); }
                catch (JsonException ex) { throw new UserInputException($"{path}:{lineNo}: not valid JSON ({JsonErrors.Message(ex)})", ex); }
                items.Add(Item(node, $"{path}:{lineNo}"));
            }
        }
        if (items.Count == 0) throw new UserInputException($"{path}: no records");
        var dup = items.GroupBy(i => i.Id).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new UserInputException($"{path}: _id {dup.Key} appears {dup.Count()} times");
        return items;
    }

    private static LongBenchItem Item(JsonNode? node, string where)
    {
        if (node is not JsonObject o) throw new UserInputException($"{where}: not a JSON object");
        string F(string name) => o[name] is JsonValue v && v.TryGetValue(out string? s)
            ? s
            : throw new UserInputException($"{where}: field \"{name}\" missing or not a string");
        var item = new LongBenchItem(F("_id"), F("domain"), F("sub_domain"), F("difficulty"), F("length"), F("question"),
                                     F("choice_A"), F("choice_B"), F("choice_C"), F("choice_D"), F("answer"), F("context"));
        if (item.Difficulty is not ("easy" or "hard")) throw new UserInputException($"{where}: difficulty \"{item.Difficulty}\" is not easy or hard");
        if (item.Length is not ("short" or "medium" or "long")) throw new UserInputException($"{where}: length \"{item.Length}\" is not short, medium or long");
        if (item.Answer is not ("A" or "B" or "C" or "D")) throw new UserInputException($"{where}: answer \"{item.Answer}\" is not A-D");
        return item;
    }

    /// <summary>Keeps the first half and the last half of <paramref name="maxTokens"/> tokens when the prompt is
    /// longer (<c>ids[:max//2] + ids[-max//2:]</c>, Python floor division) and turns them back into text.</summary>
    public static string Truncate(string prompt, ITokenizer tokenizer, int maxTokens)
    {
        var ids = tokenizer.Tokenize(prompt);
        if (ids.Length <= maxTokens) return prompt;
        int head = maxTokens / 2;
        int tail = -(int)Math.Floor(-maxTokens / 2.0);
        var kept = new int[head + tail];
        ids.AsSpan(0, head).CopyTo(kept);
        ids.AsSpan(ids.Length - tail).CopyTo(kept.AsSpan(head));
        return tokenizer.Detokenize(kept);
    }

    /// <summary>Remove '*', then "The correct answer is (X)", else "The correct answer is X"; null when neither.</summary>
    public static string? ExtractAnswer(string response)
    {
        response = response.Replace("*", "");
        var m = Parenthesized().Match(response);
        if (m.Success) return m.Groups[1].Value;
        m = Bare().Match(response);
        return m.Success ? m.Groups[1].Value : null;
    }

    [GeneratedRegex(@"The correct answer is \(([A-D])\)")]
    private static partial Regex Parenthesized();

    [GeneratedRegex(@"The correct answer is ([A-D])")]
    private static partial Regex Bare();
}

/// <summary>One scored answer, as a line of the results file (the reference's fields: the record with the
/// context cut to 1000 characters, <c>response</c>, <c>pred</c>, <c>judge</c>, and <c>response_cot</c>).</summary>
public sealed record LongBenchResult(string Id, string Difficulty, string Length, string? Pred, bool Judge);

/// <summary>Accuracy in percent (1 decimal) overall and by difficulty and length; null where a group is empty.</summary>
public sealed record LongBenchTable(int Count, double Overall, double? Easy, double? Hard, double? Short, double? Medium, double? Long)
{
    /// <summary>result.py: a question counts 1 when judged right; "hard" is everything not "easy" and "long"
    /// everything neither "short" nor "medium", as there.</summary>
    public static LongBenchTable From(IReadOnlyList<LongBenchResult> results)
    {
        if (results.Count == 0) throw new UserInputException("no LongBench-v2 results to score");
        double? Acc(Func<LongBenchResult, bool> group)
        {
            var g = results.Where(group).ToList();
            return g.Count == 0 ? null : PyCompat.Round(100.0 * g.Count(r => r.Judge) / g.Count, 1);
        }
        return new LongBenchTable(results.Count, Acc(_ => true)!.Value, Acc(r => r.Difficulty == "easy"), Acc(r => r.Difficulty != "easy"),
                                  Acc(r => r.Length == "short"), Acc(r => r.Length == "medium"), Acc(r => r.Length is not ("short" or "medium")));
    }

    public string ToText(string model)
    {
        static string F(double? v) => v is { } x ? x.ToString("0.0", CultureInfo.InvariantCulture) : "-";
        return "Model\tOverall\tEasy\tHard\tShort\tMedium\tLong\n" +
               $"{model}\t{F(Overall)}\t{F(Easy)}\t{F(Hard)}\t{F(Short)}\t{F(Medium)}\t{F(Long)}\n" +
               $"({Count} questions)\n";
    }

    public JsonObject ToJson(string model) => new()
    {
        ["model"] = model, ["questions"] = Count, ["overall"] = Overall, ["easy"] = Easy, ["hard"] = Hard,
        ["short"] = Short, ["medium"] = Medium, ["long"] = Long,
    };
}

public sealed record LongBenchOptions
{
    public required string OutFile { get; init; }
    /// <summary>Token budget of a prompt before middle truncation (reference: 120000 for most models).</summary>
    public int MaxPromptTokens { get; init; } = 120_000;
    public bool ChainOfThought { get; init; }
    /// <summary>The reference samples at 0.1; 0 gives greedy decoding.</summary>
    public double Temperature { get; init; } = 0.1;
    public int? Limit { get; init; }
    public long Seed { get; init; } = 42;
}

/// <summary>Runs LongBench-v2 as the reference's pred.py does, appending one line per answered question, and
/// skipping questions already in the results file on a re-run.</summary>
public sealed class LongBenchRunner(ITextModel model, IProgress<(int Done, int Total)>? progress = null)
{
    private static readonly JsonSerializerOptions Compact = EvalJson.Compact;

    public double SecondsPerQuestion { get; private set; }

    public async Task<LongBenchTable> RunAsync(IReadOnlyList<LongBenchItem> data, LongBenchOptions options, CancellationToken ct)
    {
        var items = options.Limit is { } n ? data.Take(n).ToList() : data.ToList();
        var ids = items.Select(i => i.Id).ToHashSet();
        CheckOutFile(options.OutFile);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.OutFile))!);
        Ruler.RulerFiles.RepairTornTail(options.OutFile);
        var done = File.Exists(options.OutFile) ? ReadResults(options.OutFile).Select(r => r.Id).ToHashSet() : [];
        var todo = items.Where(i => !done.Contains(i.Id)).ToList();
        int finished = items.Count - todo.Count;
        progress?.Report((finished, items.Count));
        var gate = new object();
        double seconds = 0;
        await using (var file = new StreamWriter(options.OutFile, append: true, new UTF8Encoding(false)))
        {
            await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = model.MaxConcurrency, CancellationToken = ct }, async (item, token) =>
            {
                var sw = Stopwatch.StartNew();
                var line = await AnswerAsync(item, options, token).ConfigureAwait(false);
                sw.Stop();
                lock (gate)
                {
                    file.Write(line.ToJsonString(Compact) + "\n");
                    file.Flush();
                    seconds += sw.Elapsed.TotalSeconds;
                    progress?.Report((++finished, items.Count));
                }
            }).ConfigureAwait(false);
        }
        SecondsPerQuestion = todo.Count > 0 ? seconds / todo.Count : 0;
        return LongBenchTable.From(ReadResults(options.OutFile).Where(r => ids.Contains(r.Id)).ToList());
    }

    private async Task<JsonObject> AnswerAsync(LongBenchItem item, LongBenchOptions options, CancellationToken ct)
    {
        long seed = options.Seed ^ StableHash(item.Id);
        string template = options.ChainOfThought ? LongBenchPrompts.ZeroShotCot : LongBenchPrompts.ZeroShot;
        string output = await QueryAsync(LongBenchPrompts.Fill(template, item), options.ChainOfThought ? 1024 : 128, options, seed, ct).ConfigureAwait(false);
        string? cot = null;
        if (options.ChainOfThought)
        {
            cot = PyCompat.Strip(output);
            output = await QueryAsync(LongBenchPrompts.Fill(LongBenchPrompts.ZeroShotCotAnswer, item, cot), 128, options, seed + 1, ct).ConfigureAwait(false);
        }
        string response = PyCompat.Strip(output);
        string? pred = LongBenchV2.ExtractAnswer(response);
        var o = new JsonObject
        {
            ["_id"] = item.Id, ["domain"] = item.Domain, ["sub_domain"] = item.SubDomain, ["difficulty"] = item.Difficulty,
            ["length"] = item.Length, ["question"] = item.Question, ["choice_A"] = item.ChoiceA, ["choice_B"] = item.ChoiceB,
            ["choice_C"] = item.ChoiceC, ["choice_D"] = item.ChoiceD, ["answer"] = item.Answer,
            ["context"] = item.Context.Length <= 1000 ? item.Context : item.Context[..1000],
        };
        if (cot is not null) o["response_cot"] = cot;
        o["response"] = response;
        o["pred"] = pred;
        o["judge"] = pred == item.Answer;
        return o;
    }

    private Task<string> QueryAsync(string prompt, int maxNewTokens, LongBenchOptions options, long seed, CancellationToken ct)
    {
        string truncated = LongBenchV2.Truncate(prompt, model.Tokenizer, options.MaxPromptTokens);
        return model.GenerateAsync(new GenerationRequest(truncated, maxNewTokens, options.Temperature, Seed: seed), ct);
    }

    /// <summary>Refuses a results file that a run could not append to: one holding a JSON array, or lines that are not
    /// results (a last line cut short by a crash excepted: the run drops it). The command calls this before it loads the
    /// model, so a refusal costs nothing.</summary>
    public static void CheckOutFile(string path)
    {
        if (!File.Exists(path)) return;
        // Lines appended after a JSON array (pred.py's results saved as one array) would spoil both.
        if (StartsWithArray(path))
            throw new UserInputException($"{path}: holds a JSON array, and results are appended as JSON lines; give another --out " +
                                         "(`eval longbench-v2 score` reads this file as it is)");
        var bytes = File.ReadAllBytes(path);
        int tail = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        ReadResults(path, EvalText.Decode(bytes.AsSpan(0, tail < bytes.Length && !IsJson(bytes.AsSpan(tail)) ? tail : bytes.Length), path));
    }

    private static bool IsJson(ReadOnlySpan<byte> text)
    {
        try { JsonNode.Parse(text); return true; }
        catch (JsonException) { return false; }
    }

    private static bool StartsWithArray(string path)
    {
        using var r = new StreamReader(path, Encoding.UTF8);
        int c;
        while ((c = r.Read()) >= 0 && char.IsWhiteSpace((char)c)) { }
        return c == '[';
    }

    private static long StableHash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) { h ^= c; h *= 1099511628211UL; }
        return (long)h;
    }

    /// <summary>Reads a results file (this tool's or the reference's: JSON lines, or one JSON array).</summary>
    public static List<LongBenchResult> ReadResults(string path)
    {
        if (!File.Exists(path)) throw UserInputException.FileNotFound(path, "file");
        return ReadResults(path, EvalText.ReadAll(path));
    }

    private static List<LongBenchResult> ReadResults(string path, string text)
    {
        var nodes = new List<(JsonNode? Node, string Where)>();
        if (text.TrimStart().StartsWith('['))
        {
            try
            {
                var arr = JsonNode.Parse(text) as JsonArray ?? throw new UserInputException($"{path}: not a JSON array");
                for (int i = 0; i < arr.Count; i++) nodes.Add((arr[i], $"{path}: record {i + 1}"));
            }
            catch (JsonException ex) { throw new UserInputException($"{JsonErrors.Where(path, ex)}: not valid JSON ({JsonErrors.Message(ex)})", ex); }
        }
        else
        {
            int lineNo = 0;
            foreach (var line in text.Split('\n'))
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                try { nodes.Add((JsonNode.Parse(line), $"{path}:{lineNo}")); }
                catch (JsonException ex) { throw new UserInputException($"{path}:{lineNo}: not valid JSON ({JsonErrors.Message(ex)})", ex); }
            }
        }
        var results = new List<LongBenchResult>();
        foreach (var (node, where) in nodes)
        {
            if (node is not JsonObject) throw new UserInputException($"{where}: not a JSON object");
            string S(string f) => node?[f] is JsonValue v && v.TryGetValue(out string? s) ? s : throw new UserInputException($"{where}: field \"{f}\" missing or not a string");
            bool judge = node?["judge"] is JsonValue j && j.TryGetValue(out bool b) ? b : throw new UserInputException($"{where}: field \"judge\" missing or not true/false");
            string? pred = node?["pred"] is JsonValue p && p.TryGetValue(out string? ps) ? ps : null;
            results.Add(new LongBenchResult(S("_id"), S("difficulty"), S("length"), pred, judge));
        }
        return results;
    }
}
