#:project ../../src/EntropyLong.Data/EntropyLong.Data.csproj
// Converts dictd databases (name.index + name.dict.dz, as Debian's dict-* packages install them) into one
// JSON-lines corpus: one document per dictionary entry, in the dictionary's own order, with the entries its
// {cross references} name ("links") and where they are named ("mentions").
// Usage: dotnet run --file DictdToJsonl.cs -- OUT.jsonl.gz "LABEL=PATH/TO/name" [...]
// LABEL (e.g. "dict-jargon 4.4.7-3.1") becomes each record's "source" and, shortened to its first word
// without "dict-", the prefix of its "id".
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using EntropyLong.Data;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: DictdToJsonl OUT.jsonl.gz LABEL=PATH/name [LABEL=PATH/name ...]");
    return 2;
}
// Every database's entries first: cross references are resolved against the headwords of their own database.
var all = new List<(string Id, string Text, string Label, Dictionary<string, string> Heads)>();
foreach (string spec in args.Skip(1))
{
    int eq = spec.LastIndexOf('=');
    string label = spec[..eq], basePath = spec[(eq + 1)..];
    string prefix = label.Split(' ')[0].Replace("dict-", "");
    byte[] dict;
    using (var gz = new GZipStream(File.OpenRead(basePath + ".dict.dz"), CompressionMode.Decompress))
    using (var ms = new MemoryStream())
    {
        gz.CopyTo(ms);
        dict = ms.ToArray();
    }
    // Index lines: headword TAB offset TAB length, numbers in dictd's base64 digits. Several headwords
    // may point at one entry; "00..." headwords are the database's own metadata.
    var index = File.ReadLines(basePath + ".index", Encoding.UTF8)
        .Select(line => line.Split('\t'))
        .Where(f => f.Length == 3 && !f[0].StartsWith("00"))
        .Select(f => (Head: f[0], Offset: Base64Number(f[1]), Length: Base64Number(f[2])))
        .ToList();
    var entries = index.Select(e => (e.Offset, e.Length)).Distinct().OrderBy(e => e.Offset).ToList();
    var heads = new Dictionary<string, string>(); // normalized headword -> document id
    var idOf = new Dictionary<long, string>();
    var ids = new HashSet<string>();
    int count = 0;
    foreach (var (offset, length) in entries)
    {
        string text = Dedent(Encoding.UTF8.GetString(dict, (int)offset, (int)length));
        if (text.Length == 0) continue;
        string head = text.Split('\n')[0].Trim();
        if (prefix == "devil") head = head.Split(',')[0].Trim(); // "ABASEMENT, n.  A decent ..." -> ABASEMENT
        if (prefix == "gcide") head = head.Split('\\')[0].Trim(); // "Abound \A*bound"\, v. i. ..." -> Abound
        string id = $"{prefix}:{head}";
        for (int k = 2; !ids.Add(id); k++) id = $"{prefix}:{head}#{k}";
        idOf[offset] = id;
        heads.TryAdd(Term(head), id);
        all.Add((id, text, label, heads));
        count++;
    }
    // The index's other headwords of an entry name it too (a first one wins, as for the entry's own).
    foreach (var e in index)
        if (idOf.TryGetValue(e.Offset, out var target)) heads.TryAdd(Term(e.Head), target);
    Console.Error.WriteLine($"{label}: {count} entries");
}

using var writer = new JsonlWriter(args[0]);
long chars = 0, linked = 0, unresolved = 0;
foreach (var (id, text, label, heads) in all)
{
    // {cross references}: the entries they name (not the entry itself), and where each mention is in the text,
    // braces included: [start, end, target]. A reference naming no entry (code in braces, say) is no link.
    var links = new List<string>();
    var mentions = new List<(int Start, int End, string Target)>();
    foreach (Match m in Regex.Matches(text, @"\{([^{}]*)\}"))
    {
        if (!heads.TryGetValue(Term(m.Groups[1].Value), out var target)) { unresolved++; continue; }
        if (target == id) continue;
        mentions.Add((m.Index, m.Index + m.Length, target));
        if (!links.Contains(target)) links.Add(target);
    }
    linked += links.Count;
    writer.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("text", text);
        w.WriteString("source", label);
        w.WriteStartArray("links");
        foreach (var l in links) w.WriteStringValue(l);
        w.WriteEndArray();
        w.WriteStartArray("mentions");
        foreach (var (start, end, target) in mentions)
        {
            w.WriteStartArray();
            w.WriteNumberValue(start);
            w.WriteNumberValue(end);
            w.WriteStringValue(target);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });
    chars += text.Length;
}
writer.Complete();
Console.Error.WriteLine($"{args[0]}: {writer.Count} documents, {chars} characters, {linked} links ({unresolved} braces name no entry)");
return 0;

// Headwords and references compare case-insensitively, whitespace (line breaks inside a reference) folded.
static string Term(string s) => string.Join(' ', s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();

static long Base64Number(string digits)
{
    const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    long n = 0;
    foreach (char c in digits) n = n * 64 + alphabet.IndexOf(c);
    return n;
}

// Trailing spaces off every line; the body's usual indentation (the most frequent one: the Jargon File indents
// its paragraphs by 4, quotes and examples deeper) off every line; blank lines at the ends off. The text is
// otherwise kept as the dictionary has it, {cross references} included.
static string Dedent(string entry)
{
    var lines = entry.Replace("\r", "").Split('\n').Select(l => l.TrimEnd()).ToList();
    static int Indent(string l) => l.Length - l.TrimStart().Length;
    int indent = lines.Skip(1).Where(l => l.Length > 0).GroupBy(Indent).OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
        .Select(g => g.Key).FirstOrDefault();
    for (int i = 0; i < lines.Count; i++) lines[i] = lines[i][Math.Min(indent, Indent(lines[i]))..];
    return string.Join('\n', lines).Trim('\n', ' ');
}
