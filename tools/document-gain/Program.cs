// For every (document, candidate chunk) among the first K candidates of each anchor in a build's details.jsonl: the
// document scored with the chunk placed before it (BOS, chunk, separator, then as much of the document as the
// scorer's context holds), at every position. Per pair it writes the anchor's summed entropy with the chunk (checked
// against the build's own h_prime) and the chunk's gain on the document's other tokens, (sum H - sum H') / sum H over
// the tokens that are in no anchor: over the whole document that fits (gain_rest) and before the anchor only
// (gain_before). The question: does a chunk that passes verification explain the anchor alone, or more of the document?
// Scored with the build's scorer settings: the model and --copy-weight (the default scorer's 0.5) as given here.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Llm;
using EntropyLong.Retrieval;

if (args.Length < 7)
{
    Console.Error.WriteLine("usage: document-gain BUILD CORPUS INDEX MODEL OUT.jsonl K COPY_WEIGHT [MAX_DOCUMENTS]");
    return 2;
}
string build = args[0], corpusPath = args[1], indexDir = args[2], modelPath = args[3], outPath = args[4];
int topK = int.Parse(args[5], CultureInfo.InvariantCulture);
float copyWeight = float.Parse(args[6], CultureInfo.InvariantCulture);
int maxDocuments = args.Length > 7 ? int.Parse(args[7], CultureInfo.InvariantCulture) : int.MaxValue;

using var scorer = LlamaEngine.Load(modelPath, new LlamaSettings { CopyWeight = copyWeight });
int bos = scorer.Info.BosToken ?? throw new InvalidOperationException("the scorer has no BOS token");
int[] separator = scorer.Tokenize("\n\n");
var texts = new CorpusReader([corpusPath]).Read().ToDictionary(r => r.Document.Id, r => r.Document.Text);
var chunkTexts = new Dictionary<string, string>();
using (var index = ChunkIndex.Open(indexDir))
    for (long key = 0; key < index.Count; key++) { var c = index.GetChunk((ulong)key); chunkTexts[c.Id] = c.Text; }

using var output = new StreamWriter(outPath);
long pairs = 0, tokens = 0;
double largestDifference = 0;
int documents = 0;
var clock = System.Diagnostics.Stopwatch.StartNew();
foreach (string line in File.ReadLines(Path.Combine(build, "details.jsonl")))
{
    var record = JsonNode.Parse(line)!;
    if (record["anchors"] is not JsonArray anchorRecords || anchorRecords.Count == 0) continue;
    if (documents == maxDocuments) break;
    string id = record["document_id"]!.GetValue<string>();
    float[] entropy = record["entropy"]!.AsArray().Select(x => x?.GetValue<float>() ?? 0f).ToArray();
    int[] document = scorer.TokenizeWithBos(texts[id]);
    if (document.Length != entropy.Length) throw new InvalidDataException($"{id}: {document.Length} tokens here, {entropy.Length} in the build");

    // A word anchor's tokens end at its position; they are the ones whose entropies sum to the anchor's.
    var anchors = new List<(int Start, int Position, JsonArray Candidates)>();
    foreach (var a in anchorRecords)
    {
        int position = a!["position"]!.GetValue<int>();
        double sum = a["entropy"]!.GetValue<double>(), tolerance = 1e-3 * Math.Max(1, sum), acc = entropy[position];
        int start = position;
        while (Math.Abs(acc - sum) > tolerance && start > 1) acc += entropy[--start];
        anchors.Add((Math.Abs(acc - sum) <= tolerance ? start : position, position, a["candidates"]!.AsArray()));
    }
    var inAnchor = new bool[document.Length];
    foreach (var (start, position, _) in anchors) Array.Fill(inAnchor, true, start, position - start + 1);

    var chunks = anchors.SelectMany(a => a.Candidates.Take(topK).Select(c => c!["chunk_id"]!.GetValue<string>())).Distinct().ToList();
    var groups = new List<ScoreGroup>();
    var scored = new List<string>();
    foreach (string chunk in chunks)
    {
        int[] prefix = [bos, .. scorer.Tokenize(chunkTexts[chunk]), .. separator];
        int length = Math.Min(document.Length - 1, scorer.Info.ContextLength - prefix.Length);
        if (length < 1) continue;
        groups.Add(new ScoreGroup(prefix, [new ScoreSequence(document.AsMemory(1, length), Enumerable.Range(prefix.Length, length).ToArray())]));
        scored.Add(chunk);
        tokens += prefix.Length + length;
    }
    var results = scorer.Score(groups);
    for (int g = 0; g < scored.Count; g++)
    {
        float[] withChunk = results[g]; // document token i at index i - 1
        double Gain(int end)
        {
            double before = 0, after = 0;
            for (int i = 1; i < end; i++)
                if (!inAnchor[i]) { before += entropy[i]; after += withChunk[i - 1]; }
            return before > 0 ? (before - after) / before : 0;
        }
        double gainRest = Gain(withChunk.Length + 1);
        foreach (var (start, position, candidates) in anchors)
        {
            int rank = candidates.Take(topK).Select(c => c!["chunk_id"]!.GetValue<string>()).ToList().IndexOf(scored[g]);
            if (rank < 0) continue;
            var candidate = candidates[rank]!;
            double? hPrime = position <= withChunk.Length ? Enumerable.Range(start, position - start + 1).Sum(i => (double)withChunk[i - 1]) : null;
            double buildHPrime = candidate["h_prime"]?.GetValue<double>() ?? double.NaN;
            if (hPrime is { } h && !double.IsNaN(buildHPrime)) largestDifference = Math.Max(largestDifference, Math.Abs(h - buildHPrime));
            pairs++;
            output.WriteLine(JsonSerializer.Serialize(new
            {
                doc = id, anchor = position, chunk = scored[g], source = candidate["source_document_id"]!.GetValue<string>(), rank,
                delta = candidate["delta"]?.GetValue<double>(), h_prime = hPrime, gain_rest = gainRest, gain_before = Gain(Math.Min(start, withChunk.Length + 1)),
            }));
        }
    }
    if (++documents % 10 == 0) Console.Error.WriteLine($"{documents} documents, {pairs:N0} pairs, {tokens:N0} tokens, {clock.Elapsed.TotalSeconds:F0} s");
}
Console.Error.WriteLine($"{documents} documents, {pairs:N0} pairs, {tokens:N0} tokens in {clock.Elapsed.TotalSeconds:F0} s; " +
                        $"largest |h' - the build's h_prime| {largestDifference:G3} nats");
return 0;
