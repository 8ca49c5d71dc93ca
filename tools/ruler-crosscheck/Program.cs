using System.Text.RegularExpressions;
using EntropyLong.Eval.Models;
using EntropyLong.Eval.Ruler;
// Samples of six RULER tasks at 4096 and 8192 tokens, counted by a word-level tokenizer that the reference
// generators can use too (run.sh gives them the same regex), written to OUT/LENGTH/TASK/validation.jsonl.
string outDir = args.Length > 0 ? args[0] : "out";
var tok = new W();
foreach (var t in new[] { "niah_single_1", "niah_multikey_2", "niah_multikey_3", "vt", "cwe", "fwe" })
    foreach (var L in new[] { 4096, 8192 })
        RulerFiles.WriteSamples(Path.Combine(outDir, L.ToString(), t, "validation.jsonl"), RulerGenerator.Generate(RulerTasks.Find(t)!, L, 5, 42, tok, new RulerInputs(EssayHaystack.Default())));
sealed partial class W : ITokenizer
{
    public string Description => "w";
    public int[] Tokenize(string text) => new int[CountTokens(text)];
    public string Detokenize(ReadOnlySpan<int> t) => "";
    public int CountTokens(string text) => R().Count(text);
    [GeneratedRegex(@"\w+|[^\w\s]")] private static partial Regex R();
}
