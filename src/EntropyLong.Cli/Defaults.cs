using EntropyLong.Core;

namespace EntropyLong.Cli;

/// <summary>The shipped defaults: found under data/ of the checkout, of the installed .NET tool (packed next to the
/// program), or of ENTROPYLONG_HOME, so commands work without --model or --corpus.</summary>
public static class Defaults
{
    public static string Home =>
        Environment.GetEnvironmentVariable("ENTROPYLONG_HOME") is { Length: > 0 } home ? home
        : FindHome(AppContext.BaseDirectory, Directory.GetCurrentDirectory());

    /// <summary>The first folder holding data/sample, looking up from the program's folder (a checkout's build output
    /// lies below the checkout; the tool's data lies beside it), then from the current one; else the current one.</summary>
    public static string FindHome(string programFolder, string currentFolder)
    {
        foreach (var start in new[] { programFolder, currentFolder })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (Directory.Exists(Path.Combine(dir.FullName, "data", "sample"))) return dir.FullName;
        return currentFolder;
    }

    public static string Model => Path.Combine(Home, "data", "models", "default.gguf");
    public static string SampleCorpus => Path.Combine(Home, "data", "sample", "corpus.jsonl.gz");

    // The default scorer is the shipped model read two ways beyond the paper, because read as the paper reads a model
    // it places almost no anchor at the paper's settings and verifies links less often than plain top-1 retrieval
    // (`bench links` on the held-out sample documents, docs/METHOD.md); and it keeps one verified chunk per anchor, since
    // keeping every chunk that passes verifies links less often than that, on the sample and on an independent
    // dictionary; and it judges 8 candidates per anchor, not the paper's 32, since each further candidate gives an
    // anchor another chance to pass with a chunk that is a link less often (on both corpora again). A --model the user
    // names is read and judged as the paper does.

    /// <summary>The default scorer's copy mixture weight (see CopyMixture).</summary>
    public const float ScorerCopyWeight = 0.5f;

    /// <summary>The method's options for the default scorer where they differ from the paper's: copy mixture, word
    /// anchors judged by their summed entropy, 8 candidates per anchor, the best-ranked passing chunk kept.</summary>
    public static EntropyLongOptions ScorerOptions { get; } = new()
    {
        CopyWeight = ScorerCopyWeight,
        WordEntropy = true,
        TopK = 8,
        MaxChunksPerAnchor = 1,
    };

    public static string ModelOrDefault(string? model)
    {
        if (model is { Length: > 0 }) return model;
        if (!File.Exists(Model)) throw new UserInputException($"no --model given and the default model {Model} is missing");
        return Model;
    }
}
