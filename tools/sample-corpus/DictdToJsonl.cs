#:project ../../src/EntropyLong.Data/EntropyLong.Data.csproj
// Converts dictd databases (name.index + name.dict.dz, as Debian's dict-* packages install them) into one
// JSON-lines corpus: one document per dictionary entry, in the dictionary's own order.
// Usage: dotnet run --file DictdToJsonl.cs -- OUT.jsonl.gz "LABEL=PATH/TO/name" [...]
// LABEL (e.g. "dict-jargon 4.4.7-3.1") becomes each record's "source" and, shortened to its first word
// without "dict-", the prefix of its "id".
using System.IO.Compression;
using System.Text;
using EntropyLong.Data;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: DictdToJsonl OUT.jsonl.gz LABEL=PATH/name [LABEL=PATH/name ...]");
    return 2;
}
using var writer = new JsonlWriter(args[0]);
long chars = 0;
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
    var entries = File.ReadLines(basePath + ".index", Encoding.UTF8)
        .Select(line => line.Split('\t'))
        .Where(f => f.Length == 3 && !f[0].StartsWith("00"))
        .Select(f => (Offset: Base64Number(f[1]), Length: Base64Number(f[2])))
        .Distinct()
        .OrderBy(e => e.Offset)
        .ToList();
    var ids = new HashSet<string>();
    int count = 0;
    foreach (var (offset, length) in entries)
    {
        string text = Dedent(Encoding.UTF8.GetString(dict, (int)offset, (int)length));
        if (text.Length == 0) continue;
        string head = text.Split('\n')[0].Trim();
        if (prefix == "devil") head = head.Split(',')[0].Trim(); // "ABASEMENT, n.  A decent ..." -> ABASEMENT
        string id = $"{prefix}:{head}";
        for (int k = 2; !ids.Add(id); k++) id = $"{prefix}:{head}#{k}";
        writer.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("text", text);
            w.WriteString("source", label);
            w.WriteEndObject();
        });
        chars += text.Length;
        count++;
    }
    Console.Error.WriteLine($"{label}: {count} entries");
}
writer.Complete();
Console.Error.WriteLine($"{args[0]}: {writer.Count} documents, {chars} characters");
return 0;

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
