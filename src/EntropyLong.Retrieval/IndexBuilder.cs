using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Cloud.Unum.USearch;
using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Retrieval;

public sealed record IndexBuildOptions
{
    public int MaxChars { get; init; } = TextChunker.DefaultMaxChars;
    /// <summary>Chunks embedded together, and committed together at the next document's end; a killed build loses
    /// what it embedded since its last commit.</summary>
    public int CommitChunks { get; init; } = 256;
    /// <summary>False: chunks and vectors only; every search is then exact (fine for small corpora).</summary>
    public bool BuildHnsw { get; init; } = true;
    public HnswSettings Hnsw { get; init; } = new();
    /// <summary>Threads for HNSW construction; 0 = one per core.</summary>
    public int Threads { get; init; }
}

/// <summary>Where a build stands, for progress display.</summary>
public sealed record IndexBuildProgress(string Phase, long Documents, long Chunks, long GraphAdded, long GraphTotal);

/// <summary>What a run did; <see cref="RepeatedIds"/> counts the documents it left out for an id an earlier document had.</summary>
public sealed record IndexBuildResult(long Documents, long Chunks, long DocumentsReused, long ChunksReused,
    long ChunksEmbedded, long GraphVectorsAdded, TimeSpan EmbedTime, TimeSpan GraphTime, long RepeatedIds = 0);

/// <summary>Builds an index folder from a document stream. Re-running on the same corpus reuses what is done: the
/// documents already committed are skipped (their ids are checked), new ones are appended, and the graph gains only
/// the vectors it lacks.</summary>
public static class IndexBuilder
{
    public static IndexBuildResult Build(string folder, IEnumerable<Document> documents, IEmbedder embedder,
        IndexBuildOptions options, IProgress<IndexBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.RemoveAbandoned(folder); // what a killed earlier run was writing
        var manifest = IndexManifest.TryRead(folder);
        if (manifest is not null)
        {
            manifest.CheckCompatible(folder, embedder);
            if (manifest.MaxChars != options.MaxChars)
                throw new UserInputException($"{Path.Combine(folder, IndexManifest.FileName)}: the index was chunked at {manifest.MaxChars} characters, this run asks for {options.MaxChars}; use the same --max-chars, or another index folder");
        }
        manifest ??= new IndexManifest { Model = embedder.ModelId, Dimension = embedder.Dimension, MaxChars = options.MaxChars };
        long reusedDocs = manifest.Documents, reusedChunks = manifest.Chunks;

        var embedWatch = Stopwatch.StartNew();
        long repeatedIds;
        using (var writer = new ChunkStoreWriter(folder, manifest.Dimension, manifest.Chunks, manifest.DataBytes))
        {
            manifest = Embed(folder, documents, embedder, options, manifest, writer, progress, out repeatedIds, cancellationToken);
        }
        embedWatch.Stop();

        var graphWatch = Stopwatch.StartNew();
        long added = 0;
        if (options.BuildHnsw)
            (manifest, added) = BuildGraph(folder, manifest, options, progress, cancellationToken);
        return new IndexBuildResult(manifest.Documents, manifest.Chunks, reusedDocs, reusedChunks,
            manifest.Chunks - reusedChunks, added, embedWatch.Elapsed, graphWatch.Elapsed, repeatedIds);
    }

    private static IndexManifest Embed(string folder, IEnumerable<Document> documents, IEmbedder embedder,
        IndexBuildOptions options, IndexManifest manifest, ChunkStoreWriter writer,
        IProgress<IndexBuildProgress>? progress, out long duplicates, CancellationToken cancellationToken)
    {
        long seen = 0, committedDocs = manifest.Documents;
        duplicates = 0;
        string? lastId = manifest.LastDocumentId;
        var pending = new List<Chunk>();
        Document? lastPending = null;
        var vectors = Array.Empty<float>();
        using var corpusHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        string CorpusHash() => Convert.ToHexStringLower(corpusHash.GetCurrentHash());

        // Appended chunks count only once a commit names them: a killed run's writer cuts the files back to the last one.
        void EmbedPending()
        {
            if (pending.Count == 0) return;
            int dim = embedder.Dimension;
            if (vectors.Length < pending.Count * dim) vectors = new float[pending.Count * dim];
            embedder.Embed(pending.Select(c => c.Text).ToList(), asQuery: false, vectors.AsSpan(0, pending.Count * dim));
            for (int i = 0; i < pending.Count; i++) writer.Append(pending[i], vectors.AsSpan(i * dim, dim));
            pending.Clear();
            progress?.Report(new IndexBuildProgress("embed", committedDocs, writer.Count, 0, 0));
        }

        void Commit()
        {
            if (lastPending is null) return;
            EmbedPending();
            writer.Flush();
            committedDocs = seen;
            lastId = lastPending.Id;
            manifest = manifest with
            {
                Documents = committedDocs, LastDocumentId = lastId, CorpusSha256 = CorpusHash(), Chunks = writer.Count, DataBytes = writer.DataBytes,
            };
            manifest.Write(folder);
            lastPending = null;
            progress?.Report(new IndexBuildProgress("embed", committedDocs, writer.Count, 0, 0));
        }

        var ids = new DocumentIds();
        foreach (var doc in documents)
        {
            cancellationToken.ThrowIfCancellationRequested();
            seen++;
            Feed(corpusHash, doc);
            // A repeated id is left out (a chunk id would name two texts), and counted among the documents, so a resumed
            // run finds every document at the same position.
            bool repeated = !ids.Add(doc.Id);
            if (repeated && seen > manifest.Documents) duplicates++;
            if (seen <= manifest.Documents)
            {
                if (seen == manifest.Documents && doc.Id != manifest.LastDocumentId)
                    throw new UserInputException($"{doc.Source}: document #{seen} is '{doc.Id}', but the index in {folder} recorded '{manifest.LastDocumentId}' there; the corpus changed, so build into a new index folder");
                if (seen == manifest.Documents && manifest.CorpusSha256 is { } recorded && CorpusHash() != recorded)
                    throw new UserInputException($"{doc.Source}: the ids of the first {seen} documents match the index in {folder}, but their text does not; the corpus changed, so build into a new index folder");
                if (seen % 10000 == 0) progress?.Report(new IndexBuildProgress("skip", seen, manifest.Chunks, 0, 0));
                continue;
            }
            // A document is committed whole (a resumed run restarts at a document), but embedded in batches as its
            // chunks come, so that a very long one holds bounded memory and shows progress.
            if (!repeated)
                foreach (var chunk in TextChunker.Chunk(doc, options.MaxChars))
                {
                    pending.Add(chunk);
                    if (pending.Count >= options.CommitChunks) EmbedPending();
                }
            lastPending = doc;
            if (writer.Count + pending.Count - manifest.Chunks >= options.CommitChunks) Commit();
        }
        if (seen < manifest.Documents)
            throw new UserInputException($"{folder}: the index holds {manifest.Documents} documents but the corpus has only {seen}; the corpus changed, so build into a new index folder");
        Commit();
        return manifest;
    }

    // A document's id and text, each length-prefixed, so that no two corpora hash alike by moving text between fields.
    private static void Feed(IncrementalHash hash, Document doc)
    {
        foreach (string field in (string[])[doc.Id, doc.Text])
        {
            byte[] bytes = Encoding.UTF8.GetBytes(field);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }
    }

    private static (IndexManifest, long) BuildGraph(string folder, IndexManifest manifest, IndexBuildOptions options,
        IProgress<IndexBuildProgress>? progress, CancellationToken cancellationToken)
    {
        string path = Path.Combine(folder, HnswFileInfo.FileName);
        var settings = options.Hnsw;
        HnswGraph graph;
        long have = 0;
        bool reusable = manifest.Hnsw is { } info && File.Exists(path) && info.Vectors <= manifest.Chunks
            && info.Connectivity == settings.Connectivity && info.Quantization == settings.Quantization.ToString()
            && new FileInfo(path).Length == info.FileBytes && HnswFileInfo.ComputeFingerprint(path) == info.Fingerprint;
        if (reusable && manifest.Hnsw!.Vectors == manifest.Chunks)
        {
            if (manifest.Hnsw.ExpansionSearch != settings.ExpansionSearch)
            {
                manifest = manifest with { Hnsw = manifest.Hnsw with { ExpansionSearch = settings.ExpansionSearch } };
                manifest.Write(folder);
            }
            return (manifest, 0);
        }
        if (reusable)
        {
            graph = HnswGraph.Open(path, view: false);
            have = graph.Count;
        }
        else
            graph = HnswGraph.Create(manifest.Dimension, settings);
        using (graph)
        using (var store = new ChunkStoreReader(folder, manifest.Dimension, manifest.Chunks, manifest.DataBytes))
        {
            long total = manifest.Chunks - have;
            int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
            // Slices keep each span under 2^31 floats.
            long slice = Math.Max(1, (int.MaxValue / 2) / manifest.Dimension);
            for (long first = have; first < manifest.Chunks; first += slice)
            {
                long rows = Math.Min(slice, manifest.Chunks - first), offset = first - have;
                graph.AddRange((ulong)first, store.Vectors(first, rows), threads,
                    done => progress?.Report(new IndexBuildProgress("graph", manifest.Documents, manifest.Chunks, offset + done, total)),
                    cancellationToken);
            }
            AtomicFile.WriteThrough(path, graph.Save);
            manifest = manifest with
            {
                Hnsw = new HnswFileInfo
                {
                    Vectors = manifest.Chunks,
                    Connectivity = settings.Connectivity,
                    ExpansionAdd = settings.ExpansionAdd,
                    ExpansionSearch = settings.ExpansionSearch,
                    Quantization = settings.Quantization.ToString(),
                    FileBytes = new FileInfo(path).Length,
                    Fingerprint = HnswFileInfo.ComputeFingerprint(path),
                },
            };
            manifest.Write(folder);
            return (manifest, total);
        }
    }
}
