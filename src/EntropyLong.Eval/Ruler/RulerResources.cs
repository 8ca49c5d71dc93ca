using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EntropyLong.Core;

namespace EntropyLong.Eval.Ruler;

/// <summary>The essay haystack: any plain-text file, split into words as the reference does
/// (<c>re.sub(r'\s+', " ", essay).split(" ")</c>).</summary>
public sealed partial class EssayHaystack
{
    public const string DefaultName = "devils-dictionary.txt";

    private EssayHaystack(string label, string text)
    {
        if (text.Trim().Length == 0) throw new UserInputException($"{label}: the essay haystack is empty");
        Label = label;
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12];
        Words = Whitespace().Replace(text, " ").Split(' ');
    }

    /// <summary>What is printed beside every score: file name and a hash of its text.</summary>
    public string Label { get; }
    public string Sha256 { get; }
    public string[] Words { get; }
    public string Description => $"{Label} (sha256 {Sha256})";

    public static EssayHaystack FromFile(string path)
    {
        if (!File.Exists(path)) throw UserInputException.FileNotFound(path, "haystack file");
        return new EssayHaystack(Path.GetFileName(path), File.ReadAllText(path, Encoding.UTF8));
    }

    public static EssayHaystack FromText(string label, string text) => new(label, text);

    /// <summary>The public-domain default shipped with the tool (Bierce, The Devil's Dictionary, 1911).</summary>
    public static EssayHaystack Default() => new($"{DefaultName} (built in)", EmbeddedText($"haystack/{DefaultName}"));

    internal static string EmbeddedText(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
                      ?? throw new InvalidOperationException($"embedded resource {name} missing from the build");
        using var r = new StreamReader(s, Encoding.UTF8);
        return r.ReadToEnd();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

/// <summary>The word lists the reference takes from the <c>wonderwords</c> package (nouns, adjectives, verbs),
/// plus a large English list for cwe at lengths that need more distinct words than those hold.</summary>
public sealed class WordLists
{
    private static readonly Lazy<WordLists> Shared = new(() => new WordLists());

    private WordLists()
    {
        Nouns = Lines("ruler/wonderwords-nounlist.txt");
        Adjectives = Lines("ruler/wonderwords-adjectivelist.txt");
        Verbs = Lines("ruler/wonderwords-verblist.txt");
        English = Lines("ruler/english-words.txt");
    }

    public static WordLists Instance => Shared.Value;

    public string[] Nouns { get; }
    public string[] Adjectives { get; }
    public string[] Verbs { get; }
    public string[] English { get; }

    private static string[] Lines(string name) =>
        EssayHaystack.EmbeddedText(name).Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToArray();
}

/// <summary>One question of a qa task: the question, its gold answers, the indices of its gold documents and,
/// for SQuAD, of the other paragraphs of the same article (preferred distractors).</summary>
public sealed record QaItem(string Query, IReadOnlyList<string> Outputs, IReadOnlyList<int> Context, IReadOnlyList<int> MoreContext);

/// <summary>A qa data set read as the reference reads it: all distinct documents sorted, questions in file order.</summary>
public sealed record QaData(IReadOnlyList<QaItem> Questions, IReadOnlyList<string> Documents, string Source)
{
    /// <summary>SQuAD v2 dev JSON: {"data":[{"paragraphs":[{"context","qas":[{"question","answers":[{"text"}],"is_impossible"}]}]}]};
    /// unanswerable questions are dropped.</summary>
    public static QaData ReadSquad(string path)
    {
        using var doc = Parse(path);
        try
        {
            var articles = doc.RootElement.GetProperty("data").EnumerateArray().ToList();
            var docs = articles.SelectMany(a => a.GetProperty("paragraphs").EnumerateArray())
                               .Select(p => p.GetProperty("context").GetString()!)
                               .Distinct().Order(StringComparer.Ordinal).ToList();
            var index = docs.Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i, StringComparer.Ordinal);
            var qas = new List<QaItem>();
            foreach (var a in articles)
            {
                var paragraphs = a.GetProperty("paragraphs").EnumerateArray().ToList();
                var more = paragraphs.Select(p => index[p.GetProperty("context").GetString()!]).ToList();
                foreach (var p in paragraphs)
                {
                    int self = index[p.GetProperty("context").GetString()!];
                    foreach (var q in p.GetProperty("qas").EnumerateArray())
                    {
                        if (q.GetProperty("is_impossible").GetBoolean()) continue;
                        qas.Add(new QaItem(q.GetProperty("question").GetString()!,
                            q.GetProperty("answers").EnumerateArray().Select(x => x.GetProperty("text").GetString()!).ToList(),
                            [self], more.Where(i => i != self).ToList()));
                    }
                }
            }
            return new QaData(qas, docs, path);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
        {
            throw new UserInputException($"{path}: not in the SQuAD v2 layout ({ex.Message})", ex);
        }
    }

    /// <summary>HotpotQA dev (distractor) JSON: [{"question","answer","context":[[title,[sentences]]]}];
    /// a document is "title\nsentences joined".</summary>
    public static QaData ReadHotpotQa(string path)
    {
        using var doc = Parse(path);
        try
        {
            var items = doc.RootElement.EnumerateArray().ToList();
            static string DocText(JsonElement pair) =>
                pair[0].GetString() + "\n" + string.Concat(pair[1].EnumerateArray().Select(s => s.GetString()));
            var docs = items.SelectMany(d => d.GetProperty("context").EnumerateArray().Select(DocText))
                            .Distinct().Order(StringComparer.Ordinal).ToList();
            var index = docs.Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i, StringComparer.Ordinal);
            var qas = items.Select(d => new QaItem(d.GetProperty("question").GetString()!,
                                                   [d.GetProperty("answer").GetString()!],
                                                   d.GetProperty("context").EnumerateArray().Select(p => index[DocText(p)]).ToList(),
                                                   [])).ToList();
            return new QaData(qas, docs, path);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new UserInputException($"{path}: not in the HotpotQA layout ({ex.Message})", ex);
        }
    }

    private static JsonDocument Parse(string path)
    {
        if (!File.Exists(path)) throw UserInputException.FileNotFound(path, "file");
        try
        {
            using var s = File.OpenRead(path);
            return JsonDocument.Parse(s);
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{JsonErrors.Where(path, ex)}: not valid JSON ({JsonErrors.Message(ex)})", ex);
        }
    }
}
